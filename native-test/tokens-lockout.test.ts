/**
 * A real PIN lock-out through the token service, on opencryptoki's software token: each wrong
 * PIN is PIN_INCORRECT with the tries-left flags the token reports, the one that locks it and
 * every later login (even with the right PIN) is PIN_LOCKED, and the token lists as locked.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenInfo, TokenService } from '../agent/tokens/index.ts';
import {
  opencryptokiAvailability,
  setUpOpencryptokiToken,
  type SoftTokenFixture,
} from './opencryptoki.ts';

const availability = opencryptokiAvailability();
if (!availability.ok)
  console.warn(`opencryptoki PIN lock-out test skipped: ${availability.reason}`);

const data = Buffer.from('Công văn số 12/UBND-VP: thử khóa mã PIN');
const digest = createHash('sha256').update(data).digest();

describe.skipIf(!availability.ok)('PIN lock-out on opencryptoki swtok', () => {
  let fixture: SoftTokenFixture | undefined;
  let service: TokenService | undefined;
  let token: TokenInfo;

  const tokens = () => service as TokenService;
  const token_ = () => fixture as SoftTokenFixture;
  const signWith = (pin: string) =>
    tokens().sign(
      { certificateId: token_().certificateId, hashAlgorithm: 'SHA-256', digest },
      { pin },
    );

  // listTokens re-reads the token (getToken may answer from the polled cache).
  const pinState = async () => (await tokens().listTokens()).find((t) => t.id === token.id)?.pin;

  beforeAll(async () => {
    if (!availability.ok) return;
    fixture = setUpOpencryptokiToken(availability.modulePath);
    service = await startTokenService({
      modules: [availability.modulePath],
      pollIntervalMs: 0,
      callTimeoutMs: 20_000,
    });
    const found = (await service.listTokens()).find(
      (t) => t.serialNumber === fixture?.serialNumber,
    );
    if (!found) throw new Error('the token service does not list the swtok token');
    token = found;
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    fixture?.release();
  });

  it('lists the freshly initialised token, unlocked, with its certificate and key', async () => {
    expect(token).toMatchObject({
      label: token_().label,
      model: 'IBM SoftTok',
      loginRequired: true,
      pin: { initialized: true, locked: false, countLow: false, finalTry: false },
    });
    const certificates = await tokens().listCertificates({ tokenId: token.id });
    expect(certificates.map((c) => c.id)).toEqual([token_().certificateId]);
    expect(certificates[0]).toMatchObject({ hasPrivateKey: true, commonName: 'Trần Thị Khóa PIN' });
  });

  it('signs with the right PIN', async () => {
    const result = await signWith(token_().pin);
    const publicKey = new X509Certificate(token_().certificateDer).publicKey;
    expect(verify('sha256', data, publicKey, result.signature)).toBe(true);
  });

  it('counts wrong PINs down, locks the token, then refuses even the right PIN', async () => {
    const wrong = token_().wrongPin;
    // opencryptoki: first wrong PIN sets COUNT_LOW, the second FINAL_TRY, the third locks.
    await expect(signWith(wrong)).rejects.toMatchObject({
      code: 'PIN_INCORRECT',
      details: { countLow: true, finalTry: false, locked: false },
    });
    expect(await pinState()).toMatchObject({
      countLow: true,
      locked: false,
    });
    await expect(signWith(wrong)).rejects.toMatchObject({
      code: 'PIN_INCORRECT',
      details: { finalTry: true, locked: false },
    });
    expect(await pinState()).toMatchObject({
      finalTry: true,
      locked: false,
    });
    // The wrong PIN that locks the token is reported as the lock the user must now deal with.
    await expect(signWith(wrong)).rejects.toMatchObject({
      code: 'PIN_LOCKED',
      details: { locked: true },
    });
    await expect(signWith(wrong)).rejects.toMatchObject({ code: 'PIN_LOCKED' });
    await expect(signWith(token_().pin)).rejects.toMatchObject({
      code: 'PIN_LOCKED',
      details: { locked: true },
    });
    const listed = (await tokens().listTokens()).find((t) => t.id === token.id);
    expect(listed?.pin.locked).toBe(true);
    expect(await tokens().isLoggedIn(token.id)).toBe(false);
  });
});
