/**
 * The journal against a hostile page, with real `ws` clients on loopback: a 10 MiB JSON-RPC
 * id, 20,000 failing requests, rotation with archives and the chain across files
 * (`kyso journal --verify` names a missing or truncated file).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../agent/journal/index.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const agents: TestAgent[] = [];
async function agentWith(options: Parameters<typeof startTestAgent>[0] = {}): Promise<TestAgent> {
  const agent = await startTestAgent(options);
  agents.push(agent);
  return agent;
}
async function closeAgent(agent: TestAgent): Promise<void> {
  agents.splice(agents.indexOf(agent), 1);
  await agent.close();
}
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const hash = () => createHash('sha256').update(randomBytes(16)).digest('base64');
const signParams = (certificateId: string, name = 'Tờ trình.pdf') => ({
  certificateId,
  hashAlgorithm: 'SHA-256',
  hash: hash(),
  documentName: name,
});

describe('journal bounds over the socket', () => {
  it('a 10 MiB JSON-RPC id gives a bounded requestId and a bounded record', async () => {
    const agent = await agentWith();
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const id = 'x'.repeat(10 * 1024 * 1024);
    const reply = await client.sendRaw(
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'sign.hash',
        params: signParams(agent.pki.token('leader').certificateId),
      }),
      id,
    );
    expect(reply.error).toBeUndefined();
    client.close();
    const text = readFileSync(agent.journalFile, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    const { records } = await readJournal(agent.journalFile);
    expect(records).toHaveLength(1);
    expect(records[0]?.result).toBe('signed');
    expect(records[0]?.requestId.length).toBeLessThanOrEqual(128);
    expect(records[0]?.requestId).toMatch(/chars, sha256:[0-9a-f]{32}\]$/);
  });

  it('20,000 failing requests: the journal grows by a bounded number of records, none lost', async () => {
    const agent = await agentWith({
      config: {
        limits: { ratePerSecond: 100_000, rateBurst: 100_000, maxInFlight: 1024 },
        journal: { failuresPerMinute: 10 },
      },
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const leader = agent.pki.token('leader').certificateId;
    for (let i = 0; i < 3; i++) {
      expect(
        (await client.call('sign.hash', signParams(leader, `real ${i}.pdf`))).error,
      ).toBeUndefined();
    }
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => TestClient.connect(agent.url, { origin: TEST_ORIGIN })),
    );
    const started = Date.now();
    let failed = 0;
    await Promise.all(
      clients.map(async (c) => {
        for (let batch = 0; batch < 10; batch++) {
          const replies = await Promise.all(
            Array.from({ length: 500 }, () => c.call('sign.hash', signParams('ff'.repeat(32)))),
          );
          failed += replies.filter((r) => r.error !== undefined).length;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`20,000 failing requests in ${seconds.toFixed(1)} s`);
    expect(failed).toBe(20_000);
    for (const c of [client, ...clients]) c.close();
    await closeAgent(agent); // flushes the aggregate
    const { records, aggregates, chain } = await readJournal(agent.journalFile);
    expect(records.slice(0, 3).map((r) => r.documents[0]?.name)).toEqual([
      'real 0.pdf',
      'real 1.pdf',
      'real 2.pdf',
    ]);
    const minutes = Math.ceil(seconds / 60) + 1;
    expect(records.length).toBeLessThanOrEqual(3 + 10 * minutes);
    expect(aggregates.length).toBeLessThanOrEqual(minutes);
    expect(records.length - 3 + aggregates.reduce((n, a) => n + a.count, 0)).toBe(20_000);
    const codes = Object.keys(aggregates[0]?.errors ?? {});
    expect(codes.length).toBeGreaterThan(0);
    expect(chain.breaks).toEqual([]);
    console.log(
      `journal: ${records.length} records + ${aggregates.length} aggregate(s) (${codes.join(', ')})`,
    );
  }, 180_000);
});

describe('rotation, archives and the chain across files', () => {
  const kyso = (configDir: string, ...args: string[]) =>
    spawnSync(
      process.execPath,
      ['bin/kyso.js', 'journal', '--verify', '--config', join(configDir, 'config.json'), ...args],
      { encoding: 'utf8', timeout: 30_000 },
    );

  it('keeps every record in numbered and gzip files; verify names a truncated or a deleted middle file', async () => {
    const agent = await agentWith({ config: { journal: { maxBytes: 2048, keepFiles: 1 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const leader = agent.pki.token('leader').certificateId;
    for (let i = 0; i < 24; i++) {
      expect(
        (await client.call('sign.hash', signParams(leader, `doc ${i}.pdf`))).error,
      ).toBeUndefined();
    }
    client.close();
    await closeAgent(agent);
    const dir = dirname(agent.journalFile);
    const names = readdirSync(dir).sort();
    const archives = names.filter((n) => n.endsWith('.jsonl.gz'));
    expect(archives.length).toBeGreaterThanOrEqual(3);
    const read = await readJournal(agent.journalFile);
    expect(read.records).toHaveLength(24);
    expect(read.chain.breaks).toEqual([]);
    const ok = kyso(agent.configDir);
    expect(ok.stdout).toMatch(/hash chain intact/);
    expect(ok.status).toBe(0);

    // A rotated file cut short (its last record gone): verify names it.
    const plain = names.filter((n) => /\.\d{6}\.jsonl$/.test(n));
    const victim = join(dir, plain.at(-1) ?? '');
    const original = readFileSync(victim, 'utf8');
    const kept = original.split('\n').slice(0, -2).join('\n') + '\n';
    writeFileSync(victim, kept);
    const truncated = kyso(agent.configDir);
    expect(truncated.status).toBe(1);
    expect(truncated.stderr).toContain('file truncated or edited');
    expect(truncated.stderr).toContain(victim);
    writeFileSync(victim, original);

    const middle = archives[1] ?? '';
    rmSync(join(dir, middle));
    const broken = kyso(agent.configDir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('journal file missing');
    expect(broken.stderr).toContain(middle.replace(/\.gz$/, ''));
  });

  it('names the file, line and byte from which records were cut off the current file', async () => {
    const agent = await agentWith();
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const leader = agent.pki.token('leader').certificateId;
    for (let i = 0; i < 4; i++) {
      expect(
        (await client.call('sign.hash', signParams(leader, `doc ${i}.pdf`))).error,
      ).toBeUndefined();
    }
    client.close();
    await closeAgent(agent);
    const file = agent.journalFile;
    const text = readFileSync(file);
    // Two lines per signature (its 'signing' record, then the outcome): keep signatures 1 and 2.
    let fifth = 0;
    for (let line = 1; line < 5; line++) fifth = text.indexOf('\n', fifth) + 1;
    truncateSync(file, fifth + 25); // signatures 3 and 4: one line torn, the rest gone
    const cut = kyso(agent.configDir);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toContain(`signing journal damaged: ${file}`);
    expect(cut.stderr).toContain(`from line 5 (byte ${fifth})`);
    expect(cut.stderr).toContain(`${file}:5 (byte ${fifth})`); // the torn line, skipped
    const listed = kyso(agent.configDir, '--json');
    const json = JSON.parse(listed.stdout) as { records: unknown[]; chain: { breaks: unknown[] } };
    expect(json.records).toHaveLength(2);
    expect(json.chain.breaks).toEqual([
      expect.objectContaining({ problem: 'records-missing', file, line: 5 }),
    ]);
  });
});
