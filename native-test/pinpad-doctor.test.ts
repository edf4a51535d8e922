/**
 * Issue 9, items 6 and 7 through the built CLI (bin/kyso.js): a PIN-pad reader
 * (fixtures/pinpad-pkcs11.c, slot 1: C_Login waits 300 ms for the "keypad") says "enter the PIN
 * on the reader" while it waits and "done" after; a token without login signs with no notice;
 * `kyso doctor --module X --config Y --json` lists every certificate on every token with days to
 * expiry (one 9 days from expiry), its key (found after login on a vendor-tool layout:
 * softhsm/field-layouts.ts, key only, no public key) and key usage, and the PIN-entry notes;
 * every token command lists --module and --config in its --help.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createSigning } from '../agent/app/index.ts';
import { loadConfig } from '../agent/config/index.ts';
import { ScriptedConsent, TerminalConsent, type ConsentProvider } from '../agent/consent/index.ts';
import type { DoctorReport, Finding } from '../agent/doctor/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import { KeyUsageFlags } from '../softhsm/certificates.ts';
import type { FieldLayouts } from '../softhsm/field-layouts.ts';
import { buildPinpadModule } from './fixture-modules.ts';

const DAY = 86_400_000;
const KEY_IDS = [
  'certificate.key-present',
  'certificate.key-after-login',
  'certificate.key-absent',
];
let dir: string;
let layouts: FieldLayouts;
let pinpadModule: string;
let configFile: string;
let env: NodeJS.ProcessEnv;
let pems: Record<1 | 2, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kyso-pinpad-doctor-'));
  execFileSync('bash', [resolve('softhsm/setup-field-layouts.sh'), join(dir, 'softhsm')]);
  layouts = JSON.parse(readFileSync(join(dir, 'softhsm', 'field.json'), 'utf8')) as FieldLayouts;
  // Slot 1 (PIN pad) gets a certificate 9 days from expiry; slot 2 (no login) one for a year.
  const keyUsage = KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  const notBefore = new Date(Date.now() - 300 * DAY);
  ({ modulePath: pinpadModule, pems } = buildPinpadModule(dir, {
    1: {
      commonName: 'Sắp Hết Hạn PIN-pad TEST',
      notBefore,
      notAfter: new Date(Date.now() + 9 * DAY + 3600_000),
      keyUsage,
    },
    2: {
      commonName: 'Không PIN TEST',
      notBefore,
      notAfter: new Date(Date.now() + 365 * DAY),
      keyUsage,
    },
  }));
  configFile = join(dir, 'agency', 'kyso.json');
  execFileSync('mkdir', ['-p', join(dir, 'agency')]);
  // Modules named in the config file would be ignored for --module: list a wrong one.
  writeFileSync(
    configFile,
    JSON.stringify({ port: 51993, modules: ['/nonexistent/libnothing.so'] }, null, 2),
  );
  env = {
    ...process.env,
    SOFTHSM2_CONF: layouts.softhsm2Conf,
    KYSO_PINPAD_DIR: dir,
    KYSO_PINPAD_LOG: join(dir, 'pinpad.log'),
    // Anything not given by --config would come from here: an empty directory.
    KYSO_CONFIG_DIR: join(dir, 'default-config'),
  };
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function kyso(args: string[], stdin = '') {
  const result = spawnSync(process.execPath, ['bin/kyso.js', ...args], {
    input: stdin,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const idOf = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
const data = Buffer.from('Công văn số 9/CV-TEST: ký trên đầu đọc có bàn phím');
const digestHex = createHash('sha256').update(data).digest('hex');
const READER_LINE = /Nhập mã PIN trên bàn phím của đầu đọc \/ Enter the PIN on the reader's keypad/;

describe('signing on a PIN-pad reader from the command line', () => {
  it('says to enter the PIN on the reader while it waits, then done; the signature verifies', () => {
    const { code, stdout, stderr } = kyso([
      'sign-hash',
      '--module',
      pinpadModule,
      '--config',
      configFile,
      '--cert',
      idOf(pems[1]),
      '--hash',
      digestHex,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const lines = stderr.split('\n');
    const shown = lines.findIndex((l) => READER_LINE.test(l));
    expect(shown, stderr).toBeGreaterThanOrEqual(0);
    expect(lines[shown]).toContain('"KYSO PINPAD TEST"');
    expect(lines[shown + 1]).toBe('  đã xong / done');
    const result = JSON.parse(stdout) as { signature: string; certificateId: string };
    expect(result.certificateId).toBe(idOf(pems[1]));
    const key = new X509Certificate(pems[1]).publicKey;
    expect(verify('sha256', data, key, Buffer.from(result.signature, 'base64'))).toBe(true);
    // The module logged in with no PIN from us: the reader took it.
    expect(readFileSync(join(dir, 'pinpad.log'), 'utf8')).toContain('login slot=1 pinlen=0');
  });

  it('signs on a token without login with no PIN asked and no reader notice', () => {
    const before = existsSync(join(dir, 'pinpad.log'))
      ? readFileSync(join(dir, 'pinpad.log'), 'utf8')
      : '';
    const { code, stdout, stderr } = kyso([
      'sign-hash',
      '--module',
      pinpadModule,
      '--config',
      configFile,
      '--cert',
      idOf(pems[2]),
      '--hash',
      digestHex,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(READER_LINE);
    const result = JSON.parse(stdout) as { signature: string };
    const key = new X509Certificate(pems[2]).publicKey;
    expect(verify('sha256', data, key, Buffer.from(result.signature, 'base64'))).toBe(true);
    const after = existsSync(join(dir, 'pinpad.log'))
      ? readFileSync(join(dir, 'pinpad.log'), 'utf8')
      : '';
    expect(after).toBe(before);
  });
});

describe('the signing service around a PIN-pad signature (scripted and terminal consent)', () => {
  async function signWith(
    consent: ConsentProvider,
    slot: 1 | 2,
    signal = new AbortController().signal,
  ) {
    const tokens = await startTokenService({
      modules: [pinpadModule],
      env: { KYSO_PINPAD_DIR: dir, KYSO_PINPAD_LOG: join(dir, 'service.log') },
      pollIntervalMs: 0,
    });
    const config = loadConfig(configFile);
    const journal = new Journal(join(dir, 'journal.jsonl'), config.journal);
    const signing = createSigning({
      config,
      tokens,
      consent,
      journal,
      pinCache: { ...config.pinCache, enabled: false },
    });
    try {
      const { results } = await signing.signDigests(
        { origin: 'https://vanban.example.gov.vn', requestId: `t:${slot}`, signal },
        {
          method: 'sign.hash',
          certificateId: idOf(pems[slot]),
          scheme: undefined,
          documents: [
            { name: 'CV-9.pdf', hashAlgorithm: 'SHA-256', digest: Buffer.from(digestHex, 'hex') },
          ],
        },
      );
      return results[0]?.signature ?? Buffer.alloc(0);
    } finally {
      await signing.close();
      await journal.close();
      await tokens.close();
    }
  }

  it('scripted consent logs approval, the reader notice, then its close as done; no PIN asked', async () => {
    const consent = new ScriptedConsent(
      { signing: { default: 'approve' } },
      { warn: () => undefined },
    );
    const signature = await signWith(consent, 1);
    expect(verify('sha256', data, new X509Certificate(pems[1]).publicKey, signature)).toBe(true);
    expect(consent.log.map((e) => e.kind)).toEqual(['signing', 'reader-pin', 'reader-pin-closed']);
    const closed = consent.log.at(-1);
    expect(closed?.kind === 'reader-pin-closed' && closed.outcome).toBe('done');
    expect(closed?.kind === 'reader-pin-closed' && closed.request.token.pinEntry).toBe('reader');
  });

  it('a token without login: consent still asked, no PIN and no reader notice', async () => {
    const consent = new ScriptedConsent(
      { signing: { default: 'approve' } },
      { warn: () => undefined },
    );
    const signature = await signWith(consent, 2);
    expect(verify('sha256', data, new X509Certificate(pems[2]).publicKey, signature)).toBe(true);
    expect(consent.log.map((e) => e.kind)).toEqual(['signing']);
  });

  it('the terminal shows the notice while the reader waits, then "đã xong / done"', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    const at: Record<string, number> = {};
    output.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
      if (chunk.toString().includes('bàn phím của đầu đọc')) at['notice'] = Date.now();
      if (chunk.toString().includes('đã xong')) at['done'] = Date.now();
    });
    const consent = new TerminalConsent({ input, output });
    const approve = setInterval(() => {
      if (/Sign\? \[/.test(shown) && !shown.includes('READY')) {
        shown += 'READY';
        input.write('c\n');
      }
    }, 20);
    try {
      const signature = await signWith(consent, 1);
      expect(verify('sha256', data, new X509Certificate(pems[1]).publicKey, signature)).toBe(true);
    } finally {
      clearInterval(approve);
    }
    // Shown before the token's C_Login, which waits 300 ms for the keypad; closed after it.
    expect((at['done'] ?? 0) - (at['notice'] ?? Infinity)).toBeGreaterThanOrEqual(280);
    const after = shown.slice(shown.indexOf('READY'));
    expect(after).toMatch(
      /Nhập mã PIN trên bàn phím của đầu đọc \/ Enter the PIN on the reader's keypad \("KYSO PINPAD TEST"\)…\n {2}đã xong \/ done\n$/,
    );
  });
});

describe('kyso doctor --module X --config Y --json', () => {
  let report: DoctorReport;
  const find = (id: string, pred: (f: Finding) => boolean = () => true) =>
    report.findings.filter((f) => f.id === id && pred(f));

  beforeAll(() => {
    const { code, stdout, stderr } = kyso([
      'doctor',
      '--module',
      layouts.modulePath,
      '--module',
      pinpadModule,
      '--config',
      configFile,
      '--json',
    ]);
    expect([0, 1, 2], stderr).toContain(code);
    report = JSON.parse(stdout) as DoctorReport;
  }, 180_000);

  it('reads the config file given and loads exactly the modules given', () => {
    expect(find('agent.config')[0]?.facts?.['configFile']).toBe(configFile);
    expect(find('agent.config')[0]?.facts?.['port']).toBe(51993);
    expect(find('module.loaded').map((f) => f.facts?.['path'])).toEqual([
      layouts.modulePath,
      pinpadModule,
    ]);
    expect(find('module.failed')).toEqual([]);
  });

  it('says where the PIN is entered and that certificates may show after login', () => {
    const label = (l: string) => (f: Finding) => f.facts?.['label'] === l;
    expect(find('token.pin-entry-reader', label('KYSO PINPAD TEST'))).toHaveLength(1);
    const noLogin = find('token.no-login', label('KYSO NOLOGIN TEST'));
    expect(noLogin[0]?.severity).toBe('warning');
    expect(noLogin[0]?.message.vi).toContain('bất kỳ ai cầm thiết bị cũng ký được');
    const keysOnly = layouts.tokens.find((t) => t.role === 'keys-only');
    expect(find('token.more-after-login', label(keysOnly?.label ?? '?'))).toHaveLength(1);
    expect(find('token.more-after-login', label('KYSO NOLOGIN TEST'))).toHaveLength(0);
  });

  it('shows the vendor-tool layout (key only, no public key) as "key found after login"', () => {
    const keysOnly = layouts.tokens.find((t) => t.role === 'keys-only');
    const name = keysOnly?.certificates[0]?.name ?? '?';
    const key = find('certificate.key-after-login', (f) => f.facts?.['token'] === keysOnly?.label);
    expect(
      key.length,
      JSON.stringify(report.findings.filter((f) => f.section === 'certificates')),
    ).toBe(1);
    expect(key[0]?.severity).toBe('info');
    expect(key[0]?.message.en).toContain('key found after login');
    expect(key[0]?.message.en).toContain('key usage:');
    expect(String(key[0]?.facts?.['subject'])).toContain(name);
    // Not reported as a missing key anywhere.
    expect(find('certificate.key-absent', (f) => f.facts?.['token'] === keysOnly?.label)).toEqual(
      [],
    );
  });

  it('lists the PIN-pad certificate 9 days from expiry as a warning, with its key usage', () => {
    const onPinpad = (f: Finding) => f.facts?.['token'] === 'KYSO PINPAD TEST';
    const expiring = find('certificate.expiring', onPinpad);
    expect(expiring).toHaveLength(1);
    expect(expiring[0]).toMatchObject({ severity: 'warning', facts: { daysLeft: 9 } });
    expect(expiring[0]?.message.vi).toContain('còn 9 ngày');
    const key = report.findings.find((f) => KEY_IDS.includes(f.id) && onPinpad(f));
    expect(key?.message.en).toContain('digitalSignature, nonRepudiation');
    const valid = find('certificate.valid', (f) => f.facts?.['token'] === 'KYSO NOLOGIN TEST');
    expect(valid[0]?.facts?.['daysLeft']).toBeGreaterThanOrEqual(364);
  });

  it('lists every certificate on every token (as kyso certs --all sees them) with days to expiry', () => {
    const all = kyso([
      'certs',
      '--all',
      '--module',
      layouts.modulePath,
      '--module',
      pinpadModule,
      '--config',
      configFile,
      '--json',
    ]);
    expect(all.code, all.stderr).toBe(0);
    const listed = (JSON.parse(all.stdout) as { certificates: { subject: { text: string } }[] })
      .certificates;
    const graded = report.findings.filter((f) =>
      ['certificate.valid', 'certificate.expiring', 'certificate.expired'].includes(f.id),
    );
    expect(graded.map((f) => f.facts?.['subject']).sort()).toEqual(
      listed.map((c) => c.subject.text).sort(),
    );
    for (const f of graded) expect(typeof f.facts?.['daysLeft']).toBe('number');
    const keyed = report.findings.filter((f) => KEY_IDS.includes(f.id));
    expect(keyed).toHaveLength(listed.length);
  });
});

describe('--module and --config on every token command', () => {
  it.each(['doctor', 'start', 'tokens', 'certs', 'sign', 'sign-hash', 'verify'])(
    'kyso %s --help lists both',
    (command) => {
      const { code, stdout } = kyso([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^ {2}--module PATH {3}PKCS#11 module to load \(repeatable/m);
      expect(stdout).toMatch(/^ {2}--config FILE {3}config file/m);
    },
  );

  it('verify accepts --module (unused) beside --config', () => {
    const { stdout } = kyso(['verify', '--help']);
    expect(stdout).toContain('--module is accepted');
    const { code, stderr } = kyso([
      'verify',
      join(dir, 'missing.pdf'),
      '--module',
      pinpadModule,
      '--config',
      configFile,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('INVALID_INPUT');
    expect(stderr).not.toMatch(/Unknown option/);
  });

  it('tokens and certs take the same two options', () => {
    const tokens = kyso(['tokens', '--module', pinpadModule, '--config', configFile, '--json']);
    expect(tokens.code, tokens.stderr).toBe(0);
    const listed = JSON.parse(tokens.stdout) as { tokens: { label: string; pinEntry: string }[] };
    expect(listed.tokens.map((t) => [t.label, t.pinEntry])).toEqual([
      ['KYSO PINPAD TEST', 'reader'],
      ['KYSO NOLOGIN TEST', 'none'],
    ]);
    const certs = kyso(['certs', '--module', pinpadModule, '--config', configFile, '--json']);
    expect(certs.code, certs.stderr).toBe(0);
  });
});

describe('the hang watchdog around a PIN-pad login (issue 10, item 5)', () => {
  // The fixture's keypad takes 300 ms: longer than the per-call limit these services get.
  const CALL_TIMEOUT_MS = 150;
  const digest = Buffer.from(digestHex, 'hex');
  const start = (pinPadTimeoutMs?: number) =>
    startTokenService({
      modules: [pinpadModule],
      env: { KYSO_PINPAD_DIR: dir, KYSO_PINPAD_LOG: join(dir, 'watchdog.log') },
      pollIntervalMs: 0,
      callTimeoutMs: CALL_TIMEOUT_MS,
      ...(pinPadTimeoutMs === undefined ? {} : { pinPadTimeoutMs }),
    });
  const sign = (tokens: Awaited<ReturnType<typeof start>>, slot: 1 | 2) =>
    tokens.sign({ certificateId: idOf(pems[slot]), hashAlgorithm: 'SHA-256', digest }, {});

  it('gives the keypad its own limit: a login longer than callTimeoutMs signs, and the other slot waits for it without a timeout', async () => {
    const tokens = await start();
    try {
      await tokens.listCertificates();
      // Sent in one tick: slot 2's call waits while C_Login holds the host for slot 1.
      const [onReader, noLogin] = await Promise.all([sign(tokens, 1), sign(tokens, 2)]);
      const publicKey = (slot: 1 | 2) => new X509Certificate(pems[slot]).publicKey;
      expect(verify('sha256', data, publicKey(1), onReader.signature)).toBe(true);
      expect(verify('sha256', data, publicKey(2), noLogin.signature)).toBe(true);
    } finally {
      await tokens.close();
    }
  });

  it('a keypad wait beyond pinPadTimeoutMs ends in MODULE_TIMEOUT, and the restarted host answers again', async () => {
    const tokens = await start(50);
    try {
      await tokens.listCertificates();
      await expect(sign(tokens, 1)).rejects.toMatchObject({ code: 'MODULE_TIMEOUT' });
      // A call made before the killed host's exit is seen still goes to it; the host reports
      // 'restarting' once the exit is handled.
      await expect.poll(() => tokens.modules()[0]?.state).not.toBe('loaded');
      const noLogin = await sign(tokens, 2);
      expect(
        verify('sha256', data, new X509Certificate(pems[2]).publicKey, noLogin.signature),
      ).toBe(true);
    } finally {
      await tokens.close();
    }
  });
});
