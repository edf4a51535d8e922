/**
 * A long-lived connection running many requests (one after another and at once) leaves no
 * abort listeners behind on its signal, and never triggers MaxListenersExceededWarning.
 */
import { createHash, randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MethodTable } from '../agent/server/index.ts';
import {
  defaultScript,
  startTestAgent,
  TEST_ORIGIN,
  TestClient,
  type TestAgent,
} from './server-harness.ts';

/** Counts abort listeners on the signals a request's context carries. */
const probe: MethodTable = {
  'test.abortListeners': (_params, ctx) =>
    Promise.resolve({
      connection: getEventListeners(ctx.connectionSignal, 'abort').length,
      request: getEventListeners(ctx.signal, 'abort').length,
    }),
};

let agent: TestAgent;
const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
};

beforeAll(async () => {
  process.on('warning', onWarning);
  agent = await startTestAgent({
    // A short scripted delay: each approval waits on the request's signal.
    script: (pki) => ({ ...defaultScript(pki), delayMs: 1 }),
    config: {
      consent: { maxPendingPerOrigin: 64 },
      limits: { maxInFlight: 64, ratePerSecond: 10_000, rateBurst: 10_000 },
    },
    extraMethods: [probe],
  });
});
afterAll(async () => {
  process.off('warning', onWarning);
  await agent.close();
});

function signHash(client: TestClient, n: number) {
  return client.call('sign.hash', {
    certificateId: agent.pki.token('leader').certificateId,
    hashAlgorithm: 'SHA-256',
    hash: createHash('sha256').update(randomBytes(32)).digest('base64'),
    documentName: `doc ${n}.pdf`,
  });
}

function uploadSmall(client: TestClient) {
  const pdf = Buffer.from('%PDF-1.7\n' + 'x'.repeat(64));
  return client.call('document.upload.begin', {
    size: pdf.length,
    data: pdf.toString('base64'),
  });
}

async function listeners(client: TestClient): Promise<{ connection: number; request: number }> {
  const reply = await client.call('test.abortListeners');
  return reply.result as { connection: number; request: number };
}

it('200 sequential and 50 concurrent requests leave no abort listeners behind', async () => {
  const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  try {
    // The document store keys on the connection's signal: make it exist before the baseline.
    expect((await uploadSmall(client)).result).toMatchObject({ complete: true });
    const baseline = await listeners(client);
    // A fresh request's own signal has nothing on it but what its handler adds.
    expect(baseline.request).toBe(0);

    for (let n = 0; n < 200; n++) {
      const reply = n % 10 === 9 ? await uploadSmall(client) : await signHash(client, n);
      expect(reply.error).toBeUndefined();
    }
    expect(await listeners(client)).toEqual(baseline);

    const concurrent = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        n % 10 === 9 ? uploadSmall(client) : signHash(client, n),
      ),
    );
    expect(concurrent.map((r) => r.error?.data.reason)).toEqual(concurrent.map(() => undefined));
    expect(await listeners(client)).toEqual(baseline);
    // One fan-out listener and the document store's, not one per request.
    expect(baseline.connection).toBeLessThanOrEqual(3);
    expect(warnings).toEqual([]);
  } finally {
    client.socket.close();
    await client.closed;
  }
});
