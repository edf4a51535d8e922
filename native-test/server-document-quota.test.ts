/**
 * The agent-wide cap on stored documents (limits.maxTotalStoredBytes) over real sockets:
 * several connections of an approved website, each within its own maxStoredBytes, cannot
 * together store more than the cap; the refusal names the limit and what to do, nothing is
 * written for it, and room comes back when documents are released or a connection closes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totalStoredBytes } from '../agent/signing/index.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const KIB = 1024;
let agent: TestAgent;
beforeAll(async () => {
  agent = await startTestAgent({
    config: {
      limits: {
        maxDocumentBytes: 64 * KIB,
        maxStoredBytes: 128 * KIB,
        maxTotalStoredBytes: 256 * KIB,
      },
    },
  });
});
afterAll(async () => {
  await agent.close();
});

const document = (n: number) =>
  Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(60 * KIB - 9, n)]);

async function upload(client: TestClient, n: number) {
  const pdf = document(n);
  const begun = await client.call('document.upload.begin', { size: pdf.length });
  if (begun.error) return begun;
  const id = begun.result?.documentId as string;
  return client.call('document.upload.chunk', {
    documentId: id,
    offset: 0,
    data: pdf.toString('base64'),
  });
}

it('connections together stop at maxTotalStoredBytes with a clear error; room comes back', async () => {
  const clients = await Promise.all(
    Array.from({ length: 3 }, () => TestClient.connect(agent.url, { origin: TEST_ORIGIN })),
  );
  const [a, b, c] = clients as [TestClient, TestClient, TestClient];
  try {
    // 2 × 60 KiB each on a and b: 240 KiB, each within its own 128 KiB.
    const firsts = [await upload(a, 1), await upload(a, 2), await upload(b, 3), await upload(b, 4)];
    expect(firsts.map((r) => r.result?.complete)).toEqual([true, true, true, true]);
    const ids = firsts.map((r) => r.result?.documentId as string);
    expect(totalStoredBytes()).toBe(240 * KIB);

    const refused = await upload(c, 5);
    expect(refused.error?.data).toMatchObject({
      reason: 'DOCUMENT_TOO_LARGE',
      details: {
        reason: 'agent-store-full',
        limit: 'maxTotalStoredBytes',
        size: 60 * KIB,
        storedBytes: 0,
        totalStoredBytes: 240 * KIB,
        maxTotalStoredBytes: 256 * KIB,
      },
    });
    expect(refused.error?.data.details?.problem).toMatch(/release documents.*retry/);
    expect(refused.error?.data.message.en).toContain('too large');
    // Nothing held for the refused document, and the agent answers on every connection.
    expect(totalStoredBytes()).toBe(240 * KIB);
    for (const client of clients) {
      expect((await client.call('agent.info', { protocolVersion: '1.0' })).error).toBeUndefined();
    }

    // The per-connection cap still speaks for itself.
    const own = await upload(a, 6);
    expect(own.error?.data.details).toMatchObject({
      reason: 'store-full',
      limit: 'maxStoredBytes',
    });

    // Released by a: c gets the room.
    expect((await a.call('document.release', { documentIds: [ids[0]] })).result).toEqual({
      released: 1,
    });
    expect((await upload(c, 7)).result?.complete).toBe(true);
    expect((await upload(c, 8)).error?.data.details?.reason).toBe('agent-store-full');

    // b closes: its documents go, and their room with them.
    b.socket.close();
    await b.closed;
    await expect
      .poll(async () => (await upload(c, 9)).result?.complete, { timeout: 5000 })
      .toBe(true);
  } finally {
    for (const client of clients) client.socket.close();
    await Promise.all(clients.map((client) => client.closed));
  }
  await expect.poll(() => totalStoredBytes(), { timeout: 5000 }).toBe(0);
});
