/**
 * Token removal and return on SoftHSM2: the token's store directory is moved away mid-session
 * (while logged in) and back again. Signing reports TOKEN_REMOVED, polling reports the token
 * removed and, once it is back, added; signing then works again.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenEvent, TokenInfo, TokenService } from '../agent/tokens/index.ts';
import { copyTestPki, type TestPki, type TestToken } from './pki.ts';

type ChangedEvent = Extract<TokenEvent, { type: 'tokens.changed' }>;

let pki: TestPki;
let service: TokenService;
const events: ChangedEvent[] = [];

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 200,
  });
  service.onEvent((event) => {
    if (event.type === 'tokens.changed') events.push(event);
  });
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
});

/** SoftHSM2 names a token's directory by a UUID whose last 16 hex digits are the serial. */
function tokenDirectory(serialNumber: string): string {
  const name = readdirSync(join(pki.dir, 'tokens')).find((entry) =>
    entry.replaceAll('-', '').endsWith(serialNumber),
  );
  if (!name) throw new Error(`no token directory for serial ${serialNumber}`);
  return name;
}

/** Resolves with the first tokens.changed event (after `since`) that satisfies the test. */
async function changedEvent(
  since: number,
  test: (event: ChangedEvent) => boolean,
  timeoutMs: number,
): Promise<{ event: ChangedEvent; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const event = events.slice(since).find(test);
    if (event) return { event, afterMs: Date.now() - started };
    if (Date.now() - started > timeoutMs)
      throw new Error(`no such tokens.changed in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const data = Buffer.from('Tờ trình số 7/TTr-VP: ký trước và sau khi rút thiết bị');
const digest = createHash('sha256').update(data).digest();

describe('a token whose store disappears mid-session', () => {
  let clerk: TestToken;
  let token: TokenInfo;
  let directory: string;

  const sign = (pin?: string) =>
    service.sign(
      { certificateId: clerk.certificateId, hashAlgorithm: 'SHA-256', digest },
      { ...(pin === undefined ? {} : { pin }), stayLoggedIn: true },
    );
  const assertVerifies = (signature: Buffer) =>
    expect(
      verify('sha256', data, new X509Certificate(clerk.certificatePem).publicKey, signature),
    ).toBe(true);

  beforeAll(async () => {
    clerk = pki.token('clerk');
    const found = (await service.listTokens()).find((t) => t.label === clerk.label);
    if (!found) throw new Error('clerk token not listed');
    token = found;
    directory = tokenDirectory(token.serialNumber);
  });

  it('signs and stays logged in', async () => {
    assertVerifies((await sign(clerk.pin)).signature);
    expect(await service.isLoggedIn(token.id)).toBe(true);
    // The PIN cache works: no PIN needed for the next signature.
    assertVerifies((await sign()).signature);
  });

  it('reports TOKEN_REMOVED for the next signature and a removal event within 2 s', async () => {
    const since = events.length;
    renameSync(join(pki.dir, 'tokens', directory), join(pki.dir, `removed-${directory}`));
    await expect(sign()).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
    const { event } = await changedEvent(
      since,
      (e) => e.removed.some((t) => t.id === token.id),
      2000,
    );
    expect(event.tokens.some((t) => t.id === token.id)).toBe(false);
    // Other tokens of the module are untouched.
    expect(event.tokens).toHaveLength(pki.tokens.length - 1);
    await expect(sign(clerk.pin)).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
    expect((await service.listTokens()).some((t) => t.id === token.id)).toBe(false);
  });

  it('sees the token again within 2 s when it comes back, and signs again', async () => {
    const since = events.length;
    renameSync(join(pki.dir, `removed-${directory}`), join(pki.dir, 'tokens', directory));
    const { event } = await changedEvent(
      since,
      (e) => e.added.some((t) => t.id === token.id),
      2000,
    );
    expect(event.tokens).toHaveLength(pki.tokens.length);
    // A returned token starts logged out: the PIN is needed again.
    await expect(sign()).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    assertVerifies((await sign(clerk.pin)).signature);
    // While any token of a module is logged in, the module is not re-initialised (that would
    // log it out), so SoftHSM2 would not see other tokens return: end the session here.
    await service.logout(token.id);
    expect(await service.isLoggedIn(token.id)).toBe(false);
  });
});

describe('a token removed while idle', () => {
  it('is reported removed and, once back, added again by polling alone', async () => {
    const seal = pki.token('seal');
    const token = (await service.listTokens()).find((t) => t.label === seal.label);
    if (!token) throw new Error('seal token not listed');
    const directory = tokenDirectory(token.serialNumber);
    let since = events.length;
    renameSync(join(pki.dir, 'tokens', directory), join(pki.dir, `idle-${directory}`));
    await changedEvent(since, (e) => e.removed.some((t) => t.id === token.id), 2000);
    // Long enough for the module to be re-initialised while the token is still away.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    since = events.length;
    renameSync(join(pki.dir, `idle-${directory}`), join(pki.dir, 'tokens', directory));
    await changedEvent(since, (e) => e.added.some((t) => t.id === token.id), 2000);
    const result = await service.sign(
      { certificateId: seal.certificateId, hashAlgorithm: 'SHA-256', digest },
      { pin: seal.pin },
    );
    expect(
      verify('sha256', data, new X509Certificate(seal.certificatePem).publicKey, result.signature),
    ).toBe(true);
  });
});
