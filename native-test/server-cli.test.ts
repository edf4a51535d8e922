/** `kyso start`, `kyso journal` and `kyso origins` as real processes. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OriginStore } from '../agent/config/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { spawnAgent } from './agent-process.ts';
import { loadTestPki } from './pki.ts';
import { TEST_ORIGIN, TestClient } from './server-harness.ts';

const pki = loadTestPki();
const env = { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf };

function kyso(args: string[]) {
  return spawnSync(process.execPath, ['bin/kyso.js', ...args], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('kyso start', () => {
  it('says which modules failed when it says it is ready (text and --json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 0 }));
    const missing = join(dir, 'vendor-pkcs11-not-installed.so');
    const startOnce = async (extra: string[]): Promise<string> => {
      const child = spawn(
        process.execPath,
        [
          'bin/kyso.js',
          'start',
          ...extra,
          '--config',
          config,
          '--module',
          pki.modulePath,
          '--module',
          missing,
        ],
        { env },
      );
      let out = '';
      try {
        return await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            // Text mode prints the ready line, the module summary and one line per failure.
            if (extra.includes('--json') ? out.includes('\n') : /FAILED: .*\n/.test(out))
              resolve(out);
          });
          child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
        });
      } finally {
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      }
    };
    const text = await startOnce([]);
    expect(text).toMatch(/ready: ws:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/PKCS#11 modules: 1\/2 (đã nạp \/ )?loaded/);
    expect(text).toContain(`FAILED: ${missing} (MODULE_LOAD_FAILED)`);
    const json = JSON.parse((await startOnce(['--json'])).split('\n')[0] ?? '') as {
      modules: { path: string; state: string; error?: string }[];
    };
    expect(json.modules).toEqual(
      expect.arrayContaining([
        { path: pki.modulePath, state: 'loaded' },
        { path: missing, state: 'failed', error: 'MODULE_LOAD_FAILED' },
      ]),
    );
  });

  it('prints one ready line, serves signing, stops cleanly on SIGINT; kyso journal shows the record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 0, allowedOrigins: [TEST_ORIGIN] }));
    const script = join(dir, 'consent.json');
    const leader = pki.token('leader');
    writeFileSync(
      script,
      JSON.stringify({ signing: { default: 'approve' }, pins: { [leader.label]: leader.pin } }),
    );
    const agent = spawnAgent({ config, modules: [pki.modulePath], consentScript: script, env });
    const ready = await agent.ready;
    expect(ready.urls).toEqual([`ws://127.0.0.1:${ready.port}`, `ws://[::1]:${ready.port}`]);
    expect(agent.stderr()).toMatch(/WARNING: scripted consent is ON/);
    // Hot-plug runs with the agent: USB events where the machine has them, polling otherwise.
    expect(agent.stderr()).toMatch(/hot-plug: (usb|polling)/);

    for (const url of ready.urls) {
      const client = await TestClient.connect(url, { origin: TEST_ORIGIN });
      const reply = await client.call('sign.hash', {
        certificateId: leader.certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update(url).digest('base64'),
        documentName: `qua ${url}`,
      });
      expect(reply.error).toBeUndefined();
      client.close();
    }

    agent.child.kill('SIGINT');
    expect(await agent.exited).toBe(0);
    expect(agent.stderr()).toMatch(/stopped/);
    // One ready line and nothing after it.
    expect(agent.stdout().split('\n')).toHaveLength(2);

    const journal = kyso(['journal', '--json', '--config', config]);
    expect(journal.status).toBe(0);
    const { records } = JSON.parse(journal.stdout) as {
      records: { origin: string; result: string }[];
    };
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.origin === TEST_ORIGIN && r.result === 'signed')).toBe(true);
    const text = kyso(['journal', '--config', config, '--since', '1h']);
    expect(text.stdout).toMatch(/ĐÃ KÝ\/signed/);
    expect(text.stdout).toMatch(/Nguyễn Văn Ánh/);
    const future = kyso(['journal', '--json', '--config', config, '--since', '2099-01-01']);
    expect((JSON.parse(future.stdout) as { records: unknown[] }).records).toEqual([]);
    const verified = kyso(['journal', '--verify', '--config', config]);
    expect(verified.status).toBe(0);
    // Two signatures, two lines each ('signing', then the outcome): three links.
    expect(verified.stdout).toMatch(/hash chain intact \(3 /);
    const journalFile = join(dir, 'journal', 'signing.jsonl');
    const [firstLine, ...rest] = readFileSync(journalFile, 'utf8').split('\n');
    writeFileSync(journalFile, [firstLine?.replace('qua ws', 'qua WS'), ...rest].join('\n'));
    const tampered = kyso(['journal', '--verify', '--config', config]);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(/hash chain broken: .*signing\.jsonl:2/);
    const bad = kyso(['journal', '--config', config, '--since', 'yesterday-ish']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_INPUT/);
  }, 60_000);

  it('reports on start the records cut off the journal, and journals the finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 0 }));
    const file = join(dir, 'journal', 'signing.jsonl');
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 2 });
    for (let i = 0; i < 3; i++) {
      await journal.append({
        requestId: `1:${i}`,
        origin: TEST_ORIGIN,
        method: 'sign.hash',
        certificateId: null,
        certificateSubject: null,
        tokenLabel: null,
        documents: [],
        result: 'refused',
        errorCode: 'USER_CANCELLED',
      });
    }
    await journal.close();
    const third = readFileSync(file, 'utf8').split('\n').slice(0, 2).join('\n').length + 1;
    truncateSync(file, third + 10);
    const agent = spawnAgent({ config, modules: [pki.modulePath], env });
    try {
      await agent.ready;
    } finally {
      agent.child.kill('SIGINT');
      await agent.exited;
    }
    const stderr = agent.stderr();
    expect(stderr).toContain(`signing journal damaged: ${file}`);
    expect(stderr).toContain(`from line 3 (byte ${third})`);
    expect(stderr).toContain('found when the agent started');
    const verified = kyso(['journal', '--verify', '--config', config]);
    expect(verified.status).toBe(1);
    expect(verified.stderr).toContain('found when the agent started');
  }, 60_000);

  it('refuses a broken config file with CONFIG_INVALID naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ port: 'fast' }));
    const result = kyso(['start', '--config', config]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/CONFIG_INVALID/);
    // Every problem is listed with its field, line and column, in both languages.
    expect(result.stderr).toMatch(/- port: must be .* \(line 1, column \d+\)/);
  });
});

describe('kyso origins', () => {
  it('lists config and approved origins and revokes one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ allowedOrigins: ['https://vanban.example.gov.vn'] }));
    new OriginStore(join(dir, 'approved-origins.json')).add('http://127.0.0.1:3000');
    const list = kyso(['origins', 'list', '--json', '--config', config]);
    expect(JSON.parse(list.stdout)).toMatchObject({
      allowedByConfig: ['https://vanban.example.gov.vn'],
      approved: [{ origin: 'http://127.0.0.1:3000' }],
    });
    expect(kyso(['origins', 'revoke', 'http://127.0.0.1:3000', '--config', config]).status).toBe(0);
    expect(new OriginStore(join(dir, 'approved-origins.json')).list()).toEqual([]);
    const again = kyso(['origins', 'revoke', 'http://127.0.0.1:3000', '--config', config]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/INVALID_INPUT/);
  });
});
