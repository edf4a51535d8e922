/**
 * PIN retries through the endpoint on a token that really locks (opencryptoki swtok): the
 * dialog is told about the wrong PIN and the final try, and the lock ends the request.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../agent/journal/index.ts';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import {
  opencryptokiAvailability,
  setUpOpencryptokiToken,
  type SoftTokenFixture,
} from './opencryptoki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const availability = opencryptokiAvailability();

describe.skipIf(!availability.ok)('PIN lock-out through sign.hash (opencryptoki swtok)', () => {
  let fixture: SoftTokenFixture | undefined;
  let service: TokenService | undefined;
  let agent: TestAgent | undefined;

  beforeAll(async () => {
    if (!availability.ok) return;
    fixture = setUpOpencryptokiToken(availability.modulePath);
    service = await startTokenService({
      modules: [availability.modulePath],
      pollIntervalMs: 0,
      callTimeoutMs: 20_000,
    });
    const f = fixture;
    agent = await startTestAgent({
      tokens: service,
      script: () => ({ signing: { default: 'approve' }, pins: { [f.label]: [f.wrongPin] } }),
    });
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await service?.close();
    fixture?.release();
  });

  it('asks again after each wrong PIN with the tries-left flags, then ends with PIN_LOCKED', async () => {
    const a = agent as TestAgent;
    const client = await TestClient.connect(a.url, { origin: TEST_ORIGIN });
    const reply = await client.call('sign.hash', {
      certificateId: fixture?.certificateId,
      hashAlgorithm: 'SHA-256',
      hash: createHash('sha256').update('khóa PIN').digest('base64'),
      documentName: 'Thử khóa PIN.pdf',
    });
    expect(reply.error).toMatchObject({ code: -32000, data: { reason: 'PIN_LOCKED' } });
    expect(reply.error?.data.message.vi).toMatch(/bị khóa/);
    const prompts = a.consent.log.flatMap((e) => (e.kind === 'pin' ? [e.request] : []));
    expect(prompts.map((p) => p.previousAttempt ?? 'first')).toEqual([
      'first',
      'incorrect',
      'incorrect',
    ]);
    expect(prompts[1]?.token.pin).toMatchObject({ countLow: true, finalTry: false });
    expect(prompts[2]?.token.pin).toMatchObject({ finalTry: true, locked: false });
    // A locked token is refused at once: no more PIN dialogs.
    const again = await client.call('sign.hash', {
      certificateId: fixture?.certificateId,
      hashAlgorithm: 'SHA-256',
      hash: createHash('sha256').update('lần nữa').digest('base64'),
    });
    expect(again.error?.data.reason).toBe('PIN_LOCKED');
    const { records } = await readJournal(a.journalFile);
    expect(records.map((r) => [r.result, r.errorCode])).toEqual([
      ['failed', 'PIN_LOCKED'],
      ['failed', 'PIN_LOCKED'],
    ]);
    client.close();
  });
});
