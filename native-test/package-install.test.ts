/**
 * The package as users get it: `npm pack` → `npm install -g` into a fresh prefix → every
 * main command run from an unrelated directory with its own HOME, on the SoftHSM2 tokens.
 * Proves the installed `kyso` needs neither the repository, nor tsx, nor a particular cwd.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTestPki } from './pki.ts';

const repo = resolve(import.meta.dirname, '..');
const pki = copyTestPki();
const work = mkdtempSync(join(tmpdir(), 'kyso-install-'));
const prefix = join(work, 'prefix');
const cwd = join(work, 'somewhere-else');
const home = join(work, 'home');
const configDir = join(home, 'kyso-config');
const input = join(
  repo,
  'native-test/fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);
let kysoBin = '';

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  KYSO_CONFIG_DIR: configDir,
  SOFTHSM2_CONF: pki.softhsm2Conf,
  LANG: 'C.UTF-8',
};

function run(cmd: string, args: string[], options: { input?: string; cwd?: string } = {}) {
  const result: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: options.cwd ?? cwd,
    env,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return result;
}

function kyso(args: string[], input = '') {
  return run(kysoBin, args, { input });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The native addons build against this Node's own headers when it ships them (Debian's and
 * NodeSource's in /usr/include/node) and npm names no nodedir: node-gyp would otherwise download
 * them, which fails on a machine without internet access.
 */
function localNodeHeaders(): NodeJS.ProcessEnv {
  const configured = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' });
  const nodedir = configured.stdout.trim();
  if (nodedir !== '' && nodedir !== 'undefined') return {};
  const nodePrefix = dirname(dirname(process.execPath));
  return existsSync(join(nodePrefix, 'include/node/node_version.h'))
    ? { npm_config_nodedir: nodePrefix }
    : {};
}

beforeAll(() => {
  for (const dir of [prefix, cwd, home, configDir]) mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({ modules: [pki.modulePath], trust: { anchors: [pki.rootCaPem] } }),
  );
  // dist/ is fresh: native-test/build-setup.ts built it for this run, so pack it as it is.
  const pack = spawnSync(
    'npm',
    ['pack', '--ignore-scripts', '--pack-destination', work, '--silent'],
    { cwd: repo, encoding: 'utf8', timeout: 60_000 },
  );
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  const install = spawnSync(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(work, tarball ?? ''),
    ],
    // The developer's own HOME: its npm cache makes the install offline-fast.
    { cwd, env: { ...process.env, ...localNodeHeaders() }, encoding: 'utf8', timeout: 75_000 },
  );
  expect(install.status, install.stderr).toBe(0);
  kysoBin = join(prefix, 'bin', 'kyso');
}, 85_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('installed package', () => {
  it('ships the built code, not the sources, tests or fixtures', () => {
    const root = join(prefix, 'lib', 'node_modules', 'kyso-agent');
    const top = readdirSync(root).sort();
    expect(top).toContain('dist');
    for (const absent of ['agent', 'native-test', 'bench', 'softhsm', 'tray', 'scripts']) {
      expect(top).not.toContain(absent);
    }
    const deps = readdirSync(join(root, 'node_modules'));
    for (const bundled of ['tsx', 'ws', 'fontkit', 'pdfjs-dist', 'typescript', 'esbuild']) {
      expect(deps).not.toContain(bundled);
    }
  });

  it('kyso --help, tokens and certs work from an unrelated directory', () => {
    const help = kyso(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('kyso sign');

    const tokens = kyso(['tokens', '--json']);
    expect(tokens.status, tokens.stderr).toBe(0);
    expect(tokens.stdout).toContain(pki.token('leader').label);
    expect(tokens.stdout).not.toContain('MODULE_CRASHED');

    const certs = kyso(['certs', '--json']);
    expect(certs.status, certs.stderr).toBe(0);
    expect(certs.stdout).toContain(pki.token('leader').certificateId);
  });

  it('kyso sign (PIN on stdin, text anchor via pdf.js) and kyso verify; kyso journal checks its chain', () => {
    const signed = join(cwd, 'signed.pdf');
    const sign = kyso(
      [
        'sign',
        input,
        '--cert',
        pki.token('leader').certificateId,
        '--out',
        signed,
        '--anchor',
        'Lorem ipsum',
        '--chain',
        pki.issuingCaPem,
        '--pin-stdin',
      ],
      `${pki.token('leader').pin}\n`,
    );
    expect(sign.status, sign.stderr).toBe(0);

    const verify = kyso(['verify', signed, '--json']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);

    const journal = kyso(['journal', '--verify', '--json']);
    expect(journal.status, journal.stderr).toBe(0);
    expect(() => JSON.parse(journal.stdout) as unknown).not.toThrow();
  });

  it('kyso doctor runs its checks (exit 0, 1 or 2 = findings, never a crash)', () => {
    const doctor = kyso(['doctor', '--json']);
    expect([0, 1, 2], doctor.stderr).toContain(doctor.status);
    const report = JSON.stringify(JSON.parse(doctor.stdout) as unknown);
    expect(report).toContain('0.1.0');
    expect(report).not.toContain('MODULE_CRASHED');
  });

  it('kyso start answers /health on the chosen port, then stops on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(kysoBin, ['start', '--port', String(port), '--json'], { cwd, env });
    try {
      await new Promise<void>((ready, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) ready();
        });
        child.once('exit', (code) => fail(new Error(`kyso start exited with ${code}`)));
        setTimeout(() => fail(new Error('kyso start: no ready line in 20 s')), 20_000);
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(JSON.stringify(await health.json())).toContain('0.1.0');
    } finally {
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });
});
