/**
 * `kyso sign` and `kyso sign-hash` go through the signing pipeline the socket uses: a journal
 * record (origin "cli:<user name>"), PIN retries on the terminal (a real pseudo-terminal, via
 * util-linux `script`), a locked PIN reported before any prompt (opencryptoki lock-out), and an
 * expired certificate refused before the PDF is read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configPaths } from '../agent/config/index.ts';
import { readJournal } from '../agent/journal/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import { opencryptokiAvailability, setUpOpencryptokiToken } from './opencryptoki.ts';
import { copyTestPki } from './pki.ts';

const hasScript = spawnSync('script', ['--version']).status === 0;
const pki = copyTestPki();
const dir = mkdtempSync(join(tmpdir(), 'kyso-signing-cli-'));
const input = join(
  import.meta.dirname,
  'fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);
const origin = `cli:${userInfo().username}`;
const journalFile = configPaths(pki.dir).journal;
const env = { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: pki.dir };

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

function kyso(args: string[], stdin = '') {
  const result = spawnSync(process.execPath, ['bin/kyso.js', ...args], {
    input: stdin,
    encoding: 'utf8',
    env,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function lastRecord() {
  const { records } = await readJournal(journalFile);
  return records.at(-1);
}

/** Runs kyso on a pseudo-terminal; `screen` collects what the terminal shows. */
function onTerminal(args: string[]) {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, 'bin/kyso.js', ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...env, TERM: 'dumb' },
  });
  const state = { screen: '' };
  child.stdout.on('data', (d: Buffer) => (state.screen += d.toString()));
  child.stderr.on('data', (d: Buffer) => (state.screen += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = async (pattern: RegExp, count = 1, timeoutMs = 20_000) => {
    const started = Date.now();
    while ((state.screen.match(new RegExp(pattern, 'g')) ?? []).length < count) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`timed out waiting for ${pattern}: ${state.screen}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, state, exited, waitFor };
}

describe('kyso sign-hash through the pipeline', () => {
  it('journals the signature with the command-line user as origin', async () => {
    const leader = pki.token('leader');
    const digest = createHash('sha256').update('Công văn 7/UBND').digest('hex');
    const args = ['sign-hash', '--cert', leader.certificateId, '--hash', digest];
    const { code, stderr } = kyso(
      [...args, '--pin-stdin', '--module', pki.modulePath, '--json'],
      `${leader.pin}\n`,
    );
    expect(code, stderr).toBe(0);
    expect(await lastRecord()).toMatchObject({
      origin,
      method: 'sign-hash',
      certificateId: leader.certificateId,
      tokenLabel: leader.label,
      result: 'signed',
      errorCode: null,
      documents: [{ name: 'hash', hashAlgorithm: 'SHA-256', digestHex: digest }],
    });
  }, 60_000);
});

describe('kyso sign: certificate before the PDF', () => {
  it('an expired certificate is CERTIFICATE_EXPIRED even for a missing file or a non-PDF', async () => {
    const expired = pki.token('expired');
    const notPdf = join(dir, 'not-a.pdf');
    writeFileSync(notPdf, 'plain text, no %PDF- header');
    for (const file of [join(dir, 'does-not-exist.pdf'), notPdf]) {
      const out = join(dir, `expired-${basename(file)}`);
      const { code, stdout } = kyso(
        [
          'sign',
          file,
          '--cert',
          expired.certificateId,
          '--out',
          out,
          '--pin-stdin',
          '--module',
          pki.modulePath,
          '--json',
        ],
        `${expired.pin}\n`,
      );
      expect(code).toBe(1);
      // Had the file been opened first, this would be INVALID_INPUT / PDF_MALFORMED.
      expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'CERTIFICATE_EXPIRED' } });
      expect(existsSync(out)).toBe(false);
      expect(await lastRecord()).toMatchObject({
        origin,
        method: 'sign',
        result: 'failed',
        errorCode: 'CERTIFICATE_EXPIRED',
        documents: [{ name: basename(file) }],
      });
    }
  }, 60_000);
});

describe.skipIf(!hasScript)('kyso sign on a terminal', () => {
  it('a wrong PIN can be retried; the signature is journaled', async () => {
    const leader = pki.token('leader');
    const out = join(dir, 'retried.pdf');
    const run = onTerminal([
      'sign',
      input,
      '--cert',
      leader.certificateId,
      '--out',
      out,
      '--chain',
      pki.issuingCaPem,
      '--module',
      pki.modulePath,
    ]);
    try {
      await run.waitFor(/PIN cho \/ for "KYSO TEST Lanh dao"/);
      run.child.stdin.write('000000\r');
      await run.waitFor(/Wrong PIN/);
      await run.waitFor(/PIN cho \/ for/, 2);
      run.child.stdin.write(`${leader.pin}\r`);
      expect(await run.exited, run.state.screen).toBe(0);
      expect(run.state.screen).toMatch(/Signed: /);
      expect(run.state.screen).not.toContain(leader.pin);
      expect(existsSync(out)).toBe(true);
      const record = await lastRecord();
      expect(record).toMatchObject({
        origin,
        method: 'sign',
        certificateId: leader.certificateId,
        result: 'signed',
        documents: [{ name: basename(input), hashAlgorithm: 'SHA-256' }],
      });
      expect(record?.documents[0]?.digestHex).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 60_000);

  const ock = opencryptokiAvailability();
  it.skipIf(!ock.ok)(
    'a locked PIN is reported before the PIN is asked',
    async () => {
      if (!ock.ok) return;
      const fixture = setUpOpencryptokiToken(ock.modulePath);
      try {
        // Lock the token: opencryptoki's swtok locks on the third wrong PIN.
        const service = await startTokenService({ modules: [ock.modulePath], pollIntervalMs: 0 });
        try {
          for (let i = 0; i < 3; i++) {
            await service
              .sign(
                {
                  certificateId: fixture.certificateId,
                  hashAlgorithm: 'SHA-256',
                  digest: Buffer.alloc(32, 1),
                },
                { pin: fixture.wrongPin },
              )
              .catch(() => undefined);
          }
        } finally {
          await service.close();
        }
        const out = join(dir, 'locked.pdf');
        const run = onTerminal([
          'sign',
          input,
          '--cert',
          fixture.certificateId,
          '--out',
          out,
          '--module',
          ock.modulePath,
        ]);
        try {
          expect(await run.exited, run.state.screen).toBe(1);
          expect(run.state.screen).toContain('[PIN_LOCKED]');
          expect(run.state.screen).not.toMatch(/PIN cho/);
          expect(existsSync(out)).toBe(false);
          expect(await lastRecord()).toMatchObject({
            origin,
            method: 'sign',
            result: 'failed',
            errorCode: 'PIN_LOCKED',
          });
        } finally {
          run.child.kill('SIGKILL');
        }
      } finally {
        fixture.release();
      }
    },
    120_000,
  );
});
