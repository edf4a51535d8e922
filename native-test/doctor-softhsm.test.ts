/** kyso doctor against real SoftHSM2 tokens, the real CLI, and the redacted support bundle. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, runDoctor, type DoctorReport } from '../agent/doctor/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import { isKysoError } from '../agent/errors/index.ts';
import { createHash } from 'node:crypto';
import { copyTestPki, loadTestPki, type TestPki } from './pki.ts';

const run = promisify(execFile);
let pki: TestPki;
let report: DoctorReport;
let configDir: string;

beforeAll(async () => {
  pki = loadTestPki();
  configDir = mkdtempSync(join(tmpdir(), 'kyso-doctor-'));
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({
      port: 51990,
      allowedOrigins: ['https://vanban.example.gov.vn'],
      modules: [pki.modulePath],
    }),
  );
  report = await runDoctor({
    configDir,
    now: new Date(),
    usb: null,
    trustPem: [readFileSync(pki.trustChainPem, 'utf8')],
    openTokens: (modules) =>
      startTokenService({ modules, env: { SOFTHSM2_CONF: pki.softhsm2Conf }, pollIntervalMs: 0 }),
    portState: async () => ({ state: 'free' }),
  });
});

describe('kyso doctor on SoftHSM2', () => {
  it('reports the loaded module, every test token and its PIN state', () => {
    const loaded = report.findings.filter((f) => f.id === 'module.loaded');
    expect(loaded.map((f) => f.facts?.['path'])).toEqual([pki.modulePath]);
    const tokens = report.findings.filter((f) => f.section === 'tokens');
    for (const t of pki.tokens) {
      const finding = tokens.find((f) => f.facts?.['label'] === t.label);
      // Other test files share these tokens and may have left a wrong-PIN mark on one.
      const expected = finding?.facts?.['countLow'] ? 'token.pin-count-low' : 'token.ok';
      expect(finding?.id, t.label).toBe(expected);
    }
  });

  it('flags the expired certificate and chains the others to the TEST root', () => {
    const expired = report.findings.find((f) => f.id === 'certificate.expired');
    expect(expired?.severity).toBe('error');
    const chained = report.findings.filter((f) => f.id === 'certificate.chain-ok');
    expect(chained.length).toBe(pki.tokens.length);
    expect(report.worst).toBe('error');
  });

  it('gives the policy snippet for the configured origin', () => {
    const snippet = report.findings.find((f) => f.id === 'browser.policy-snippet')?.snippet ?? '';
    expect(JSON.parse(snippet)).toEqual({
      LocalNetworkAccessAllowedForUrls: ['https://vanban.example.gov.vn'],
      LoopbackNetworkAllowedForUrls: ['https://vanban.example.gov.vn'],
    });
  });

  it('writes a support bundle without PINs, keys, certificate bodies, serials, user or home', () => {
    const home = '/home/nguyenvana';
    const bundle = JSON.stringify(
      buildBundle(
        {
          report: {
            ...report,
            // Things that must never leak even if a check put them into a finding.
            findings: [
              ...report.findings,
              {
                id: 'x',
                section: 'agent',
                severity: 'info',
                message: {
                  vi: `log ${home}/kyso.log pin=${pki.token('leader').pin}`,
                  // The user name leaves by path structure (not by word replacement).
                  en: 'profile C:\\Users\\nguyenvana\\AppData, /Users/nguyenvana/Library',
                },
                facts: {
                  pin: pki.token('clerk').pin,
                  soPin: pki.token('clerk').soPin,
                  serialNumber: 'ABC123',
                },
                snippet: readFileSync(join(pki.dir, 'root-ca.key.pem'), 'utf8'),
              },
            ],
          },
          configFile: join(configDir, 'config.json'),
        },
        { home, user: 'nguyenvana' },
      ),
    );
    for (const t of pki.tokens) {
      expect(bundle).not.toContain(`"${t.pin}"`);
      expect(bundle).not.toContain(`=${t.pin}`);
      expect(bundle).not.toContain(t.soPin);
    }
    expect(bundle).not.toMatch(/PRIVATE KEY/);
    expect(bundle).not.toContain('ABC123');
    expect(bundle).not.toContain('nguyenvana');
    const leaderDer = pki.token('leader').certificatePem.split('\n')[1] ?? '';
    expect(bundle).not.toContain(leaderDer);
    // What IT needs stays: subjects, expiry, the config.
    expect(bundle).toContain('Nguyễn Văn Ánh');
    expect(bundle).toContain('https://vanban.example.gov.vn');
    expect(bundle).toContain('~/kyso.log');
  });
});

describe('kyso doctor after a wrong PIN', () => {
  it('warns that a wrong PIN was entered on that token', async () => {
    const own = copyTestPki();
    const clerk = own.token('clerk');
    const env = { SOFTHSM2_CONF: own.softhsm2Conf };
    const service = await startTokenService({ modules: [own.modulePath], env, pollIntervalMs: 0 });
    const wrong = await service
      .sign(
        {
          certificateId: clerk.certificateId,
          hashAlgorithm: 'SHA-256',
          digest: createHash('sha256').update('x').digest(),
        },
        { pin: '000000' },
      )
      .catch((error: unknown) => error);
    await service.close();
    expect(isKysoError(wrong, 'PIN_INCORRECT')).toBe(true);
    const after = await runDoctor({
      configDir: mkdtempSync(join(tmpdir(), 'kyso-doctor-pin-')),
      usb: null,
      openTokens: (modules) => startTokenService({ modules, env, pollIntervalMs: 0 }),
      platform: { os: 'linux', arch: 'x64', env: {}, exists: (p) => p === own.modulePath },
      portState: async () => ({ state: 'free' }),
    });
    const finding = after.findings.find((f) => f.facts?.['label'] === clerk.label);
    expect(finding).toMatchObject({ id: 'token.pin-count-low', severity: 'warning' });
    expect(finding?.message.vi).toContain('đã có lần nhập sai mã PIN');
  });
});

describe('kyso doctor command line', () => {
  it('prints JSON, writes the bundle, and exits with the worst severity', async () => {
    const bundleFile = join(configDir, 'bundle.json');
    const result = await run(
      process.execPath,
      [
        'bin/kyso.js',
        'doctor',
        '--json',
        '--config-dir',
        configDir,
        '--trust',
        pki.trustChainPem,
        '--bundle',
        bundleFile,
      ],
      { env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf } },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(result.code).toBe(2); // the expired TEST certificate
    const json = JSON.parse(result.stdout) as DoctorReport;
    expect(json.tool).toBe('kyso doctor');
    expect(json.findings.some((f) => f.id === 'certificate.expired')).toBe(true);
    const bundle = readFileSync(bundleFile, 'utf8');
    expect(bundle).toContain('"bundleVersion": 1');
    for (const t of pki.tokens) expect(bundle).not.toContain(`"${t.pin}"`);
    // A second run refuses to overwrite the bundle.
    const again = await run(
      process.execPath,
      ['bin/kyso.js', 'doctor', '--config-dir', configDir, '--bundle', bundleFile],
      { env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf } },
    ).catch((e: { code: number; stderr: string }) => e);
    expect('code' in again ? again.code : 0).toBe(1);
    expect('stderr' in again ? again.stderr : '').toContain('FILE_EXISTS');
  });

  it('rejects an unreadable --trust file with INVALID_INPUT', async () => {
    const e = await run(
      process.execPath,
      ['bin/kyso.js', 'doctor', '--trust', '/nonexistent.pem'],
      {
        env: { ...process.env, KYSO_CONFIG_DIR: configDir },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect('code' in e ? e.code : 0).toBe(1);
    expect('stderr' in e ? e.stderr : '').toContain('INVALID_INPUT');
  });
});
