/**
 * `kyso start` killed with SIGKILL while pages sign over the socket: every signature a page
 * got is in the journal on disk, as signed or, when the agent died before recording the
 * outcome, as "outcome not recorded (agent stopped)".
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../agent/journal/index.ts';
import { spawnAgent } from './agent-process.ts';
import { loadTestPki } from './pki.ts';
import { TEST_ORIGIN, TestClient } from './server-harness.ts';

const pki = loadTestPki();
const env = { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf };

describe('the journal when the agent is killed mid-signing', () => {
  it('holds every signature a page received', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-kill-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        allowedOrigins: [TEST_ORIGIN],
        pinCache: { enabled: true, ttlSeconds: 600 },
        consent: { maxPendingPerOrigin: 64 },
      }),
    );
    const leader = pki.token('leader');
    const script = join(dir, 'consent.json');
    writeFileSync(
      script,
      JSON.stringify({ signing: { default: 'approve' }, pins: { [leader.label]: leader.pin } }),
    );
    const agent = spawnAgent({ config, modules: [pki.modulePath], consentScript: script, env });
    const { exited } = agent;
    const { port } = await agent.ready;
    const clients = await Promise.all(
      Array.from({ length: 8 }, () =>
        TestClient.connect(`ws://127.0.0.1:${port}`, { origin: TEST_ORIGIN }),
      ),
    );
    const received: string[] = [];
    let killed = false;
    const sign = async (client: TestClient, worker: number) => {
      for (let n = 0; !killed; n++) {
        const digest = createHash('sha256').update(`${worker}/${n}`).digest();
        const reply = await client.call('sign.hash', {
          certificateId: leader.certificateId,
          hashAlgorithm: 'SHA-256',
          hash: digest.toString('base64'),
        });
        if (reply.result !== undefined) received.push(digest.toString('hex'));
        // Killed while signing: replies stop, and the SIGKILL lands mid-stream.
        if (received.length === 150 && !killed) {
          killed = true;
          agent.child.kill('SIGKILL');
        }
      }
    };
    await Promise.race([
      Promise.all(clients.map((client, i) => sign(client, i))),
      exited.then(() => {
        killed = true;
      }),
    ]);
    await exited;
    for (const client of clients) client.close();

    const journal = spawnSync(
      process.execPath,
      ['bin/kyso.js', 'journal', '--json', '--config', config],
      { env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(journal.status, journal.stderr).toBe(0);
    const { records } = JSON.parse(journal.stdout) as { records: JournalRecord[] };
    const onDisk = new Map(records.map((r) => [r.documents[0]?.digestHex, r.result]));
    const lost = received.filter((hex) => !['signed', 'signing'].includes(onDisk.get(hex) ?? ''));
    expect(received.length).toBeGreaterThanOrEqual(150);
    expect(lost).toEqual([]);
    if (records.some((r) => r.result === 'signing')) {
      const text = spawnSync(process.execPath, ['bin/kyso.js', 'journal', '--config', config], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(text.stdout).toContain('outcome not recorded (agent stopped)');
    }
  }, 120_000);
});
