/** 50 web apps × 20 signing requests at once: all verify, the journal holds exactly 1,000. */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJournal } from '../agent/journal/index.ts';
import { copyTestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';
import { verifies } from './server-verify.ts';

let agent: TestAgent;
beforeAll(async () => {
  // 1,000 requests of one origin at once: its consent lane must hold them (default cap 4).
  agent = await startTestAgent({
    // A private copy: 1,000 logins rewrite the token store, which other files read at once.
    pki: copyTestPki(),
    config: {
      consent: { maxPendingPerOrigin: 1000 },
      // 50 sockets of one origin: above the per-origin default (32) on purpose.
      limits: { maxConnectionsPerOrigin: 64 },
    },
  });
});
afterAll(async () => {
  await agent.close();
});

it('signs 50 × 20 concurrent requests; every signature verifies; 1,000 journal records', async () => {
  const roles = ['leader', 'clerk', 'seal', 'ecdsa'] as const;
  const clients = await Promise.all(
    Array.from({ length: 50 }, () => TestClient.connect(agent.url, { origin: TEST_ORIGIN })),
  );
  const started = Date.now();
  const jobs = clients.flatMap((client, c) =>
    Array.from({ length: 20 }, async (_, r) => {
      const role = roles[(c + r) % roles.length] ?? 'leader';
      const message = randomBytes(64);
      const name = `client ${c} doc ${r}.pdf`;
      const reply = await client.call('sign.hash', {
        certificateId: agent.pki.token(role).certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update(message).digest('base64'),
        documentName: name,
      });
      return { role, message, name, reply };
    }),
  );
  const results = await Promise.all(jobs);
  const elapsed = Date.now() - started;
  const failures = results.filter((r) => r.reply.error || r.reply.closeCode !== undefined);
  expect(failures.map((f) => f.reply.error?.data.reason ?? f.reply.closeCode)).toEqual([]);
  for (const { role, message, reply } of results) {
    const result = reply.result as { certificate: string; signature: string };
    expect(
      verifies(
        result.certificate,
        message,
        result.signature,
        'sha256',
        role === 'ecdsa' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5',
      ),
    ).toBe(true);
  }
  const { records, skipped, chain } = await readJournal(agent.journalFile);
  expect(skipped).toEqual([]);
  // Two lines per signature: 'signing' (synced beside the token) and its outcome.
  expect(chain).toEqual({ checked: 1999, breaks: [] });
  expect(records).toHaveLength(1000);
  expect(records.every((r) => r.result === 'signed')).toBe(true);
  expect(new Set(records.map((r) => r.documents[0]?.name))).toEqual(
    new Set(results.map((r) => r.name)),
  );
  // Still up and answering.
  const probe = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  expect((await probe.call('agent.info')).result).toBeDefined();
  probe.close();
  for (const client of clients) client.close();
  console.log(`1,000 signatures over 50 connections in ${elapsed} ms`);
}, 180_000);
