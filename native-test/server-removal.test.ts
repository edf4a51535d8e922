/**
 * A real unplug on SoftHSM2 (the token's store directory moved away and back, as
 * tokens-removal.test.ts does): the web app gets tokens.changed from slot polling, the cached
 * login is forgotten, and after the token returns the PIN is asked again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import { copyTestPki, type TestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

let pki: TestPki;
let service: TokenService;
let agent: TestAgent;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 200,
  });
  agent = await startTestAgent({
    pki,
    tokens: service,
    config: { pinCache: { enabled: true, ttlSeconds: 600 } },
  });
});

afterAll(async () => {
  await agent.close();
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
});

async function until<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('unplug: tokens.changed reaches the page, the PIN cache is cleared, the PIN is asked after replug', async () => {
  const clerk = pki.token('clerk');
  const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  const sign = () =>
    client.call('sign.hash', {
      certificateId: clerk.certificateId,
      hashAlgorithm: 'SHA-256',
      hash: createHash('sha256').update(randomBytes(8)).digest('base64'),
    });
  const pinsAsked = () => agent.consent.log.filter((e) => e.kind === 'pin').length;

  expect((await sign()).error).toBeUndefined();
  expect((await sign()).error).toBeUndefined();
  expect(pinsAsked()).toBe(1); // cached login

  const tokensDir = join(pki.dir, 'tokens');
  const serial =
    (await service.listTokens()).find((t) => t.label === clerk.label)?.serialNumber ?? '?';
  const directory = readdirSync(tokensDir).find((d) => d.replaceAll('-', '').endsWith(serial));
  if (!directory) throw new Error('token directory not found');
  renameSync(join(tokensDir, directory), join(pki.dir, directory));
  const removed = await until(() =>
    client.notifications.find((n) => (n.params as { removed: string[] }).removed.length > 0),
  );
  expect(removed.method).toBe('tokens.changed');
  const unplugged = await sign();
  expect(['CERTIFICATE_NOT_FOUND', 'TOKEN_NOT_PRESENT', 'TOKEN_REMOVED']).toContain(
    unplugged.error?.data.reason,
  );

  renameSync(join(pki.dir, directory), join(tokensDir, directory));
  await until(() =>
    client.notifications.find((n) => (n.params as { added: string[] }).added.length > 0),
  );
  expect((await sign()).error).toBeUndefined();
  expect(pinsAsked()).toBe(2); // asked again after the replug
  client.close();
}, 60_000);
