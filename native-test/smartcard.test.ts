/**
 * The token service on a real PC/SC smart-card stack, set up by the test: OpenSC's PKCS#11
 * module → pcscd → vpcd (virtual reader) → a bridge → libcacard virtual CAC cards whose keys
 * and TEST certificates are made here (see native-test/smartcard/stack.ts).
 *
 * Listing, signing, PIN counting and lock-out, a card pulled mid-session and put back, two
 * cards at once, and a card presenting another device's ATR.
 */
import { execFileSync } from 'node:child_process';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeviceByAtr, loadDeviceDatabase } from '../agent/devices/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenEvent, TokenInfo, TokenService } from '../agent/tokens/index.ts';
import {
  createSmartcardStack,
  smartcardAvailability,
  type SmartcardStack,
  type VirtualCard,
} from './smartcard/stack.ts';

type ChangedEvent = Extract<TokenEvent, { type: 'tokens.changed' }>;

const availability = smartcardAvailability();
if (!availability.ok) console.warn(`smart-card stack tests skipped: ${availability.reason}`);

/** ePass2003's ATR as listed in agent/devices/devices.json (no SIM PKI ATR is listed yet). */
const EPASS2003_ATR = '3b9f958131fe9f006646530510001171df0000006a825e';

const data = Buffer.from('Quyết định số 15/QĐ-UBND: ký bằng thẻ thông minh ảo');
const digest = createHash('sha256').update(data).digest();

describe.skipIf(!availability.ok)('token service on a PC/SC smart-card stack', () => {
  let stack: SmartcardStack | undefined;
  let service: TokenService | undefined;
  const events: ChangedEvent[] = [];

  const tokens = () => service as TokenService;
  const cards = (): readonly VirtualCard[] => stack?.cards ?? [];
  const cardAt = (index: number): VirtualCard => {
    const card = cards()[index];
    if (!card) throw new Error(`no card ${index}`);
    return card;
  };
  const certificateId = (card: VirtualCard) =>
    createHash('sha256').update(card.certificateDer).digest('hex');
  const sign = (card: VirtualCard, pin?: string, stayLoggedIn = false) =>
    tokens().sign(
      { certificateId: certificateId(card), hashAlgorithm: 'SHA-256', digest },
      { ...(pin === undefined ? {} : { pin }), stayLoggedIn },
    );
  const verifies = (card: VirtualCard, signature: Buffer) =>
    verify('sha256', data, new X509Certificate(card.certificatePem).publicKey, signature);

  /** The listed token of a card (listTokens re-reads the slots). */
  const tokenOf = async (card: VirtualCard): Promise<TokenInfo | undefined> =>
    (await tokens().listTokens()).find((t) => t.label === card.label);

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
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until every card in a reader is listed (pcscd notices a new card within ~0.4 s). */
  async function allListed(timeoutMs = 5000): Promise<TokenInfo[]> {
    const started = Date.now();
    for (;;) {
      const listed = await tokens().listTokens();
      const wanted = cards().filter((c) => c.inserted);
      if (wanted.every((c) => listed.some((t) => t.label === c.label))) return listed;
      if (Date.now() - started > timeoutMs) throw new Error('virtual cards not listed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    if (!availability.ok) return;
    stack = createSmartcardStack([
      { commonName: 'Nguyễn Văn Thẻ TEST', pin: '123456', serial: '4b59534f00000001' },
      { commonName: 'Trần Thị Hai TEST', pin: '654321', serial: '4b59534f00000002' },
    ]);
    await stack.start();
    service = await startTokenService({
      modules: [stack.modulePath],
      env: stack.env,
      pollIntervalMs: 200,
      callTimeoutMs: 20_000,
    });
    service.onEvent((event) => {
      if (event.type === 'tokens.changed') events.push(event);
    });
    await allListed();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await stack?.stop();
  });

  it('lists the card with its label, serial and certificate', async () => {
    const card = cardAt(0);
    expect(card.label).toBe(stack?.cardLabel);
    const token = await tokenOf(card);
    expect(token).toMatchObject({
      label: card.label,
      serialNumber: card.serial,
      present: true,
      loginRequired: true,
      pin: { initialized: true, locked: false },
    });
    expect(token?.slotDescription).toMatch(/^Virtual PCD/);
    const certificates = await tokens().listCertificates({ tokenId: token?.id ?? '' });
    expect(certificates.map((c) => c.id)).toEqual([certificateId(card)]);
    expect(certificates[0]).toMatchObject({
      hasPrivateKey: true,
      commonName: card.label,
      keyAlgorithm: 'RSA',
      keySize: 2048,
    });
  });

  it('signs, and the signature verifies with the certificate', async () => {
    const card = cardAt(0);
    const started = performance.now();
    const result = await sign(card, card.pin);
    const loginAndSignMs = performance.now() - started;
    expect(verifies(card, result.signature)).toBe(true);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      expect(verifies(card, (await sign(card, card.pin)).signature)).toBe(true);
      times.push(performance.now() - t0);
    }
    console.info(
      `smart card: first login+sign ${loginAndSignMs.toFixed(1)} ms, then ${times
        .map((t) => t.toFixed(1))
        .join(', ')} ms`,
    );
  });

  it('reports a wrong PIN as PIN_INCORRECT with the tries-left flags, and the right PIN resets them', async () => {
    const card = cardAt(0);
    // 3 tries: after the first wrong PIN 2 are left. OpenSC sets COUNT_LOW only when it knows
    // the maximum (CAC does not say), so only FINAL_TRY (1 left) and LOCKED (0) show.
    await expect(sign(card, card.wrongPin)).rejects.toMatchObject({
      code: 'PIN_INCORRECT',
      details: { finalTry: false, locked: false },
    });
    await expect(sign(card, card.wrongPin)).rejects.toMatchObject({
      code: 'PIN_INCORRECT',
      details: { finalTry: true, locked: false },
    });
    expect((await tokenOf(card))?.pin).toMatchObject({ finalTry: true, locked: false });
    expect(verifies(card, (await sign(card, card.pin)).signature)).toBe(true);
    expect((await tokenOf(card))?.pin).toMatchObject({ finalTry: false, locked: false });
  });

  it('reports TOKEN_REMOVED and a tokens.changed event when the card is pulled mid-session', async () => {
    const card = cardAt(0);
    const token = await tokenOf(card);
    if (!token) throw new Error('card not listed');
    expect(verifies(card, (await sign(card, card.pin, true)).signature)).toBe(true);
    expect(await tokens().isLoggedIn(token.id)).toBe(true);
    const since = events.length;
    await stack?.pull(0);
    await expect(sign(card, card.pin)).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
    const { event } = await changedEvent(
      since,
      (e) => e.removed.some((t) => t.id === token.id),
      2000,
    );
    expect(event.tokens.some((t) => t.id === token.id)).toBe(false);
    // The other card stays.
    expect(event.tokens.some((t) => t.label === cardAt(1).label)).toBe(true);
  });

  it('signs again within 1 s of the card coming back, without restarting anything', async () => {
    const card = cardAt(0);
    const since = events.length;
    const started = Date.now();
    await stack?.plugBack(0);
    let signature: Buffer | undefined;
    while (!signature) {
      try {
        signature = (await sign(card, card.pin)).signature;
      } catch (error) {
        if (Date.now() - started > 5000) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const backMs = Date.now() - started;
    console.info(`smart card: signed ${backMs} ms after the card came back`);
    expect(verifies(card, signature)).toBe(true);
    expect(backMs).toBeLessThan(1000);
    await changedEvent(since, (e) => e.added.some((t) => t.label === card.label), 2000);
  });

  it(
    // OpenSC closes a pulled card's sessions once it notices (any C_GetSlotList, e.g. the poll);
    // the host must not take its dead session for a lost login and ask for a PIN.
    'reports TOKEN_REMOVED, not PIN_REQUIRED, for a signature on the cached login of a pulled card',
    async () => {
      const card = cardAt(0);
      expect(verifies(card, (await sign(card, card.pin, true)).signature)).toBe(true);
      await stack?.pull(0);
      try {
        await expect(sign(card)).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
      } finally {
        await stack?.plugBack(0);
        await allListed();
      }
    },
  );

  it('signs with two cards at once', async () => {
    const [first, second] = [cardAt(0), cardAt(1)];
    const listed = await allListed();
    const ids = [first, second].map((c) => listed.find((t) => t.label === c.label)?.id);
    expect(new Set(ids).size).toBe(2);
    const [a, b] = await Promise.all([sign(first, first.pin), sign(second, second.pin)]);
    expect(verifies(first, a.signature)).toBe(true);
    expect(verifies(second, b.signature)).toBe(true);
    // Each signature is the card's own.
    expect(verifies(second, a.signature)).toBe(false);
  });

  it('is identified by the device database from the ATR it presents', async () => {
    const card = cardAt(1);
    await stack?.pull(1);
    await stack?.plugBack(1, { atr: EPASS2003_ATR });
    await allListed();
    const atr = readerAtr(1);
    expect(atr).toBe(EPASS2003_ATR);
    expect(findDeviceByAtr(loadDeviceDatabase(), atr)?.id).toBe('feitian-epass2003');
    // OpenSC (restricted to its cac driver here) still serves the card: the token service
    // signs with it whatever the ATR.
    expect(verifies(card, (await sign(card, card.pin)).signature)).toBe(true);
  });

  it('locks the card after the last wrong PIN; then even the right PIN is PIN_LOCKED', async () => {
    const card = cardAt(1);
    await expect(sign(card, card.wrongPin)).rejects.toMatchObject({ code: 'PIN_INCORRECT' });
    await expect(sign(card, card.wrongPin)).rejects.toMatchObject({
      code: 'PIN_INCORRECT',
      details: { finalTry: true },
    });
    await expect(sign(card, card.wrongPin)).rejects.toMatchObject({
      code: 'PIN_LOCKED',
      details: { locked: true },
    });
    await expect(sign(card, card.pin)).rejects.toMatchObject({ code: 'PIN_LOCKED' });
    expect((await tokenOf(card))?.pin.locked).toBe(true);
    // The counter is on the card: pulled and put back, it stays locked.
    await stack?.pull(1);
    await stack?.plugBack(1);
    await allListed();
    await expect(sign(card, card.pin)).rejects.toMatchObject({ code: 'PIN_LOCKED' });
  });

  it(
    // libcacard gives every virtual card the same serial (000058bd002c19b5), as real cards with
    // vendor-constant serials do: ids then carry a discriminator (agent/tokens/token-id.ts).
    'lists two cards that report the same serial as two tokens',
    async () => {
      await stack?.pull(0);
      await stack?.pull(1);
      await stack?.plugBack(0, { serial: undefined });
      await stack?.plugBack(1, { serial: undefined, atr: undefined });
      // Both labels listed: with one id for both cards, one would hide the other and time out.
      const listed = await allListed();
      const ids = [cardAt(0), cardAt(1)].map((c) => listed.find((t) => t.label === c.label)?.id);
      expect(ids.every((id) => id !== undefined)).toBe(true);
      expect(new Set(ids).size).toBe(2);
    },
  );
});

/** The ATR of the card in vpcd slot `index`, as PC/SC reports it, lowercase hex. */
function readerAtr(index: number): string {
  const out = execFileSync('opensc-tool', ['--reader', String(index), '--atr'], {
    encoding: 'utf8',
  });
  return out.trim().replaceAll(':', '').toLowerCase();
}
