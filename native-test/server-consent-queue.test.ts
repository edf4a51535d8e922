/**
 * Consent against a hostile page, with real `ws` clients on loopback: closing the socket while
 * a dialog is shown counts as a dismissal (twice: refused without a dialog), a flooding
 * origin does not delay another origin by more than one dialog, a refusal ends the origin's
 * queue.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsentProvider } from '../agent/consent/index.ts';
import { readJournal } from '../agent/journal/index.ts';
import { CLOSE_ORIGIN_NOT_ALLOWED } from '../agent/server/index.ts';
import {
  agentPerTest,
  defaultScript,
  TEST_ORIGIN,
  TestClient,
  type RpcReply,
} from './server-harness.ts';

const agentWith = agentPerTest();

const OTHER = 'http://127.0.0.1:9090';
const NEW_SITE = 'https://new.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until the condition holds (the machine may be loaded: no fixed sleeps). */
async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !condition() && Date.now() < end;) await sleep(10);
}
const hash = () => createHash('sha256').update(randomBytes(16)).digest('base64');
const sign = (client: TestClient, certificateId: string, name = 'Tờ trình.pdf') =>
  client.call('sign.hash', {
    certificateId,
    hashAlgorithm: 'SHA-256',
    hash: hash(),
    documentName: name,
  });

/** Counts the dialogs actually opened (the scripted log only has the answered ones). */
function countDialogs(consent: ConsentProvider): {
  origin: number;
  signing: number;
  /** Origin of each signing dialog, in the order opened. */
  order: string[];
} {
  const shown = { origin: 0, signing: 0, order: [] as string[] };
  const approveOrigin = consent.approveOrigin.bind(consent);
  const approveSigning = consent.approveSigning.bind(consent);
  consent.approveOrigin = (request, signal) => {
    shown.origin++;
    return approveOrigin(request, signal);
  };
  consent.approveSigning = (request, signal) => {
    shown.signing++;
    shown.order.push(request.origin);
    return approveSigning(request, signal);
  };
  return shown;
}

const reason = (reply: RpcReply): string | number | undefined =>
  reply.error?.data.reason ?? reply.closeCode;

describe('close while a dialog is shown = dismissal', () => {
  it('origin approval: dismissed twice, the third connection is refused without a dialog', async () => {
    const agent = await agentWith({
      script: (pki) => ({
        ...defaultScript(pki),
        origins: { [NEW_SITE]: 'approve' },
        delayMs: 2000,
      }),
    });
    const shown = countDialogs(agent.consent);
    for (let i = 1; i <= 2; i++) {
      const page = await TestClient.connect(agent.url, { origin: NEW_SITE });
      void page.call('agent.info');
      await until(() => shown.origin === i);
      expect(shown.origin).toBe(i);
      page.close();
      await page.closed;
      await sleep(50);
    }
    const third = await TestClient.connect(agent.url, { origin: NEW_SITE });
    const reply = await third.call('agent.info');
    if (reply.closeCode === undefined) {
      expect(reply.error?.data).toMatchObject({
        reason: 'ORIGIN_NOT_ALLOWED',
        details: {
          retryAfterMs: expect.any(Number) as number,
          retryAfter: expect.any(String) as string,
        },
      });
      expect(Number(reply.error?.data.details?.retryAfterMs)).toBeGreaterThan(9 * 60_000);
    }
    expect((await third.closed).code).toBe(CLOSE_ORIGIN_NOT_ALLOWED);
    expect(shown.origin).toBe(2);
    expect(agent.originStore.has(NEW_SITE)).toBe(false);
  });

  it('signing consent: dismissed twice, then ORIGIN_NOT_ALLOWED + retryAfter, no dialog, journaled', async () => {
    const agent = await agentWith({ script: (pki) => ({ ...defaultScript(pki), delayMs: 2000 }) });
    const shown = countDialogs(agent.consent);
    const leader = agent.pki.token('leader').certificateId;
    for (let i = 1; i <= 2; i++) {
      const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
      void sign(page, leader);
      await until(() => shown.signing === i);
      expect(shown.signing).toBe(i);
      page.close();
      await page.closed;
      await sleep(50);
    }
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const reply = await sign(page, leader);
    expect(reply.error?.data).toMatchObject({
      reason: 'ORIGIN_NOT_ALLOWED',
      details: { retryAfterMs: expect.any(Number) as number },
    });
    expect(shown.signing).toBe(2);
    page.close();
    const { records } = await readJournal(agent.journalFile);
    expect(records.map((r) => [r.result, r.errorCode, r.detail ?? null])).toEqual([
      ['refused', 'USER_CANCELLED', 'dismissed: the page went away'],
      ['refused', 'USER_CANCELLED', 'dismissed: the page went away'],
      ['failed', 'ORIGIN_NOT_ALLOWED', 'refused recently'],
    ]);
  });
});

describe('fair queue between origins', () => {
  it('320 requests from one origin delay another origin by at most one dialog', async () => {
    const delayMs = 300;
    const agent = await agentWith({
      config: { allowedOrigins: [TEST_ORIGIN, OTHER] },
      script: (pki) => ({ ...defaultScript(pki), delayMs }),
    });
    const shown = countDialogs(agent.consent);
    const leader = agent.pki.token('leader').certificateId;
    const clerk = agent.pki.token('clerk').certificateId;
    const flooders = await Promise.all(
      Array.from({ length: 10 }, () => TestClient.connect(agent.url, { origin: TEST_ORIGIN })),
    );
    const seen = new Map<string, number>();
    const flood = flooders.flatMap((c) =>
      Array.from({ length: 32 }, () =>
        sign(c, leader).then((r) => {
          const key = String(reason(r) ?? 'signed');
          seen.set(key, (seen.get(key) ?? 0) + 1);
          return r;
        }),
      ),
    );
    // Wait until the flood is in: one dialog shown, the lane full, the rest refused.
    await until(() => (seen.get('CONSENT_QUEUE_FULL') ?? 0) >= 315, 60_000);
    expect([...seen], `dialogs shown: ${shown.order.length}`).toEqual([
      ['CONSENT_QUEUE_FULL', 315],
    ]);
    const other = await TestClient.connect(agent.url, { origin: OTHER });
    const before = shown.order.length;
    const started = Date.now();
    const reply = await sign(other, clerk, 'Quyết định khác.pdf');
    const elapsed = Date.now() - started;
    expect(reply.error).toBeUndefined();
    // Flood dialogs opened after the other origin asked and before its own: none (the flood's
    // interaction in progress finishes first), at most one if the request was still being
    // checked when that interaction ended; never the flood's backlog.
    const floodDialogsBetween = shown.order.indexOf(OTHER) - before;
    const oneInteraction = 2 * delayMs;
    console.log(
      `other origin signed after ${elapsed} ms (one interaction = approval + PIN = ` +
        `${oneInteraction} ms scripted); flood dialogs in between: ${floodDialogsBetween}`,
    );
    expect(floodDialogsBetween).toBeLessThanOrEqual(1);
    expect(elapsed).toBeLessThan(3 * oneInteraction + 5000); // generous: shared, loaded CI
    const replies = await Promise.race([Promise.all(flood), sleep(30_000).then(() => null)]);
    expect(replies).not.toBeNull();
    const reasons = (replies ?? []).map(reason);
    expect(reasons.filter((r) => r === 'CONSENT_QUEUE_FULL')).toHaveLength(315);
    expect(reasons.filter((r) => r === undefined)).toHaveLength(5);
    const sample = (replies ?? []).find((r) => reason(r) === 'CONSENT_QUEUE_FULL');
    expect(sample?.error?.data.message.vi).toMatch(/quá nhiều yêu cầu ký đang chờ/);
    for (const c of [...flooders, other]) c.close();
  }, 180_000);

  it('a refusal ends that origin’s queued requests without dialogs; others continue', async () => {
    const agent = await agentWith({
      config: { allowedOrigins: [TEST_ORIGIN, OTHER] },
      script: (pki) => ({
        ...defaultScript(pki),
        signing: { default: 'approve', [TEST_ORIGIN]: 'refuse' },
        delayMs: 2500,
      }),
    });
    const shown = countDialogs(agent.consent);
    const leader = agent.pki.token('leader').certificateId;
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const other = await TestClient.connect(agent.url, { origin: OTHER });
    const mine = Array.from({ length: 5 }, (_, i) => sign(page, leader, `doc ${i}.pdf`));
    await sleep(20);
    const theirs = sign(other, leader, 'other.pdf');
    const replies = await Promise.all(mine);
    expect(replies.map(reason)).toEqual(Array(5).fill('USER_CANCELLED'));
    expect((await theirs).error).toBeUndefined();
    // One refused dialog for TEST_ORIGIN, one for OTHER (approved); none for the 4 queued.
    expect(shown.signing).toBe(2);
    page.close();
    other.close();
  });
});
