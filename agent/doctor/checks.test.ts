import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTestPki } from '../../native-test/pki.ts';
import { parseCertificate } from '../pki/index.ts';
import type { CertificateInfo, TokenInfo } from '../tokens/types.ts';
import {
  BROWSERS,
  browserFindings,
  bySeverity,
  countsText,
  certificateFindings,
  clockFindings,
  exitCodeFor,
  loadTrustBundle,
  moduleFindings,
  portFindings,
  registrySnippet,
  hasSharedSerialId,
  tokenFindings,
  worstOf,
  type Finding,
  type TrustAnchors,
} from './index.ts';

const NOW = new Date('2026-11-23T05:00:00Z');
const DAY = 86_400_000;

function cert(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  const pki = loadTestPki();
  const der = Buffer.from(
    pki.token('leader').certificatePem.replace(/-----[^-]+-----|\s/g, ''),
    'base64',
  );
  return {
    ...parseCertificate(der),
    tokenId: 't',
    label: 'l',
    keyId: '01',
    hasPrivateKey: true,
    alwaysAuthenticate: false,
    ...overrides,
  };
}

function token(pin: Partial<TokenInfo['pin']> = {}, extra: Partial<TokenInfo> = {}): TokenInfo {
  return {
    id: 'm/1',
    moduleId: 'm',
    slotId: '1',
    slotDescription: 's',
    label: 'VNPT-CA Token',
    serialNumber: '1234',
    manufacturer: 'Feitian',
    model: 'ePass2003',
    present: true,
    loginRequired: true,
    protectedAuthenticationPath: false,
    hardwareSlot: true,
    removableDevice: true,
    pin: {
      countLow: false,
      finalTry: false,
      locked: false,
      toBeChanged: false,
      initialized: true,
      ...pin,
    },
    minPinLength: 4,
    maxPinLength: 16,
    ...extra,
  };
}

describe('port findings', () => {
  it('names the program holding the port', () => {
    const [f] = portFindings(51987, {
      state: 'in-use',
      owner: { pid: 4242, command: 'C:\\vgca\\SignService.exe' },
    });
    expect(f?.severity).toBe('error');
    expect(f?.id).toBe('port.in-use');
    expect(f?.message.en).toContain('SignService.exe (process 4242)');
    expect(f?.fix?.vi).toContain('"port"');
  });
  it('is ok when the agent itself listens, a warning when nothing does', () => {
    expect(
      portFindings(1, { state: 'in-use', owner: { pid: 1, command: 'node bin/kyso.js start' } })[0]
        ?.severity,
    ).toBe('ok');
    expect(portFindings(1, { state: 'free' })[0]?.severity).toBe('warning');
    expect(portFindings(1, { state: 'in-use' })[0]?.message.en).toMatch(/cannot identify/);
  });
});

describe('token PIN state', () => {
  it('grades locked, final try, count low, must change, ready', () => {
    const ids = tokenFindings([
      token({ locked: true }),
      token({ finalTry: true, countLow: true }),
      token({ countLow: true }),
      token({ toBeChanged: true }),
      token({}, { protectedAuthenticationPath: true }),
    ]).map((f) => [f.id, f.severity]);
    expect(ids).toEqual([
      ['token.pin-locked', 'error'],
      ['token.pin-final-try', 'warning'],
      ['token.pin-count-low', 'warning'],
      ['token.pin-to-be-changed', 'warning'],
      ['token.ok', 'ok'],
      ['token.pin-entry-reader', 'info'],
    ]);
  });
  it('says where the PIN is entered: on the reader (note), none needed (warning)', () => {
    const reader = tokenFindings([
      token({}, { protectedAuthenticationPath: true, pinEntry: 'reader' }),
    ]);
    expect(reader.map((f) => [f.id, f.severity])).toEqual([
      ['token.ok', 'ok'],
      ['token.pin-entry-reader', 'info'],
    ]);
    expect(reader[1]?.message.vi).toContain('bàn phím của đầu đọc');
    const none = tokenFindings([token({}, { loginRequired: false, pinEntry: 'none' })]);
    expect(none.map((f) => [f.id, f.severity])).toEqual([
      ['token.ok', 'ok'],
      ['token.no-login', 'warning'],
    ]);
    expect(none[1]?.message.en).toContain('anyone holding the device can sign');
    expect(tokenFindings([token({}, { pinEntry: 'host' })]).map((f) => f.id)).toEqual(['token.ok']);
  });

  it('notes certificates hidden until login, and ids with a shared-serial discriminator', () => {
    const more = tokenFindings([token({}, { mayHoldMoreAfterLogin: true })]);
    expect(more[1]).toMatchObject({ id: 'token.more-after-login', severity: 'info' });
    expect(more[1]?.message.en).toContain('only after the PIN is entered');
    const shared = token({}, { id: '/usr/lib/libcackey.so:1234:0a1b2c3d' });
    expect(hasSharedSerialId(shared)).toBe(true);
    expect(hasSharedSerialId(token({}, { id: '/usr/lib/libcackey.so:1234' }))).toBe(false);
    expect(hasSharedSerialId(token({}, { id: 'm:slot1:0a1b2c3d', serialNumber: '' }))).toBe(false);
    const note = tokenFindings([shared]).find((f) => f.id === 'token.shared-serial');
    expect(note?.severity).toBe('info');
    expect(note?.message.en).toContain('several tokens report the same serial number');
    expect(note?.message.en).toContain(':0a1b2c3d');
    expect(JSON.stringify(tokenFindings([shared]))).not.toContain('1234');
  });

  it('says to plug a token when there is none', () => {
    const [f] = tokenFindings([]);
    expect(f?.id).toBe('tokens.none');
    expect(f?.fix?.en).toMatch(/Plug in/);
  });
  it('never reports the token serial number', () => {
    expect(JSON.stringify(tokenFindings([token()]))).not.toContain('1234');
  });
});

describe('certificate findings', () => {
  const none: TrustAnchors = { anchors: [], intermediates: [] };
  const at = (days: number) => new Date(NOW.getTime() + days * DAY + 3600_000).toISOString();

  it('warns at 30 days to expiry, not at 31; errors once expired or not yet valid', () => {
    const grade = (c: CertificateInfo) => certificateFindings([c], NOW, none)[0];
    expect(grade(cert({ notAfter: at(31) }))?.id).toBe('certificate.valid');
    expect(grade(cert({ notAfter: at(30) }))).toMatchObject({
      id: 'certificate.expiring',
      severity: 'warning',
    });
    expect(grade(cert({ notAfter: at(30) }))?.message.vi).toContain('còn 30 ngày');
    expect(grade(cert({ notAfter: at(-2) }))).toMatchObject({
      id: 'certificate.expired',
      severity: 'error',
    });
    expect(grade(cert({ notBefore: at(1) }))).toMatchObject({
      id: 'certificate.not-yet-valid',
      severity: 'error',
    });
  });

  it('lists a certificate 9 days from expiry with days left, its key and its key usage', () => {
    const tokens = [token()];
    const findings = certificateFindings(
      [cert({ notAfter: at(9), tokenId: 'm/1', keyUsage: ['digitalSignature', 'nonRepudiation'] })],
      NOW,
      none,
      tokens,
    );
    const expiring = findings.find((f) => f.id === 'certificate.expiring');
    expect(expiring).toMatchObject({ severity: 'warning', facts: { daysLeft: 9 } });
    expect(expiring?.message.vi).toContain('còn 9 ngày');
    expect(expiring?.message.en).toContain('9 days left');
    const key = findings.find((f) => f.id === 'certificate.key-present');
    expect(key?.severity).toBe('ok');
    expect(key?.message.en).toContain('(token "VNPT-CA Token"): private key found');
    expect(key?.message.en).toContain('key usage: digitalSignature, nonRepudiation');
  });

  it('a key found after login is a note, not a missing key; an absent one is named', () => {
    const ids = (c: CertificateInfo) =>
      certificateFindings([c], NOW, none).map((f) => [f.id, f.severity]);
    expect(ids(cert({ privateKey: 'after-login' }))).toContainEqual([
      'certificate.key-after-login',
      'info',
    ]);
    const afterLogin = certificateFindings([cert({ privateKey: 'after-login' })], NOW, none);
    expect(afterLogin.find((f) => f.id === 'certificate.key-after-login')?.message.en).toContain(
      'key found after login',
    );
    // A user certificate without its key cannot sign; a CA certificate is expected keyless.
    const user = ids(cert({ privateKey: 'absent', hasPrivateKey: false }));
    expect(user).toContainEqual(['certificate.key-absent', 'warning']);
    expect(user.map(([id]) => id)).not.toContain('certificate.chain-unchecked');
    expect(ids(cert({ privateKey: 'absent', hasPrivateKey: false, isCA: true }))).toContainEqual([
      'certificate.key-absent',
      'info',
    ]);
  });

  it('flags certificates not fit for signing', () => {
    const ids = (c: CertificateInfo) => certificateFindings([c], NOW, none).map((f) => f.id);
    expect(ids(cert({ keyUsage: ['keyEncipherment'] }))).toContain('certificate.key-usage');
    expect(ids(cert({ keyUsage: ['digitalSignature'], isCA: true }))).toContain(
      'certificate.key-usage',
    );
    expect(ids(cert({ keyUsage: ['nonRepudiation'] }))).not.toContain('certificate.key-usage');
  });

  it('checks the chain against the trust anchors', () => {
    const pki = loadTestPki();
    const chain = loadTrustBundle(readFileSync(pki.trustChainPem, 'utf8'));
    expect(chain.anchors).toHaveLength(1);
    const find = (trust: typeof none) =>
      certificateFindings([cert()], NOW, trust).find((f) => f.id.startsWith('certificate.chain'));
    expect(find(chain)?.id).toBe('certificate.chain-ok');
    expect(find(chain)?.message.en).toContain('TEST Root CA');
    // Root alone, without the issuing CA: the path cannot be built.
    expect(find({ anchors: chain.anchors, intermediates: [] })).toMatchObject({
      id: 'certificate.chain-untrusted',
      severity: 'warning',
    });
    expect(find(none)?.id).toBe('certificate.chain-unchecked');
  });
});

describe('module findings', () => {
  it('explains a module that failed to load', () => {
    const f = moduleFindings(
      [
        {
          path: '/usr/lib/libeToken.so',
          product: 'SafeNet Authentication Client',
          certainty: 'verified',
        },
      ],
      [
        {
          id: 'x',
          path: '/usr/lib/libeToken.so',
          state: 'failed',
          error: { code: 'MODULE_LOAD_FAILED', detail: 'wrong ELF class' },
        },
      ],
    );
    expect(f[0]).toMatchObject({ id: 'module.failed', severity: 'error' });
    expect(f[0]?.message.en).toBe(
      'Could not load SafeNet Authentication Client: /usr/lib/libeToken.so — wrong ELF class.',
    );
    expect(f[0]?.fix?.en).toMatch(/Reinstall the token software/);
  });
  it('is an error when no module is installed at all', () => {
    expect(moduleFindings([], [])[0]).toMatchObject({ id: 'modules.none', severity: 'error' });
  });
});

describe('clock hints', () => {
  it('notes a non-Vietnam time zone and a clock in the past', () => {
    expect(clockFindings(NOW, -420, []).map((f) => f.id)).toEqual(['clock.ok']);
    expect(clockFindings(NOW, 0, [])[0]?.message.en).toContain('UTC+0, not Vietnam time');
    expect(clockFindings(new Date('2020-01-01T00:00:00Z'), -420, [])[0]?.id).toBe('clock.wrong');
  });
  it('suspects a slow clock when a fresh certificate is not yet valid', () => {
    const fresh = cert({ notBefore: new Date(NOW.getTime() + 3600_000).toISOString() });
    expect(clockFindings(NOW, -420, [fresh]).map((f) => f.id)).toContain('clock.behind');
  });
});

describe('browser policy notes', () => {
  const origins = ['https://vanban.hanoi.gov.vn', 'https://qlvb.example.gov.vn:8443'];

  it('gives the exact Windows registry snippet for each browser', () => {
    const chrome = BROWSERS.find((b) => b.browser === 'Google Chrome');
    if (!chrome) throw new Error('no chrome');
    expect(registrySnippet(chrome, origins).split('\r\n')).toEqual([
      'Windows Registry Editor Version 5.00',
      '',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\LocalNetworkAccessAllowedForUrls]',
      '"1"="https://vanban.hanoi.gov.vn"',
      '"2"="https://qlvb.example.gov.vn:8443"',
      '',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\LoopbackNetworkAllowedForUrls]',
      '"1"="https://vanban.hanoi.gov.vn"',
      '"2"="https://qlvb.example.gov.vn:8443"',
      '',
    ]);
    const names = browserFindings(origins, 'windows').map((f) => f.message.en);
    expect(names.join('\n')).toMatch(/Microsoft Edge: import this \.reg/);
    expect(names.join('\n')).toMatch(/Cốc Cốc: .*unverified path/);
  });

  it('recognises a Linux policy file that already allows the origins', () => {
    const root = mkdtempSync(join(tmpdir(), 'kyso-policy-'));
    const dir = join(root, 'etc/opt/chrome/policies/managed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'kyso.json'),
      JSON.stringify({ LocalNetworkAccessAllowedForUrls: origins }),
    );
    const findings = browserFindings(origins, 'linux', root);
    const chrome = findings.find((f) => f.message.en.startsWith('Google Chrome'));
    expect(chrome).toMatchObject({ id: 'browser.policy-set', severity: 'ok' });
    const edge = findings.find((f) => f.message.en.startsWith('Microsoft Edge'));
    expect(edge?.id).toBe('browser.policy-snippet');
    expect(JSON.parse(edge?.snippet ?? '{}')).toEqual({
      LocalNetworkAccessAllowedForUrls: origins,
      LoopbackNetworkAllowedForUrls: origins,
    });
  });
});

describe('severity and exit code', () => {
  it('exits 0 for ok/info, 1 for warnings, 2 for errors', () => {
    expect(exitCodeFor(worstOf([]))).toBe(0);
    expect(exitCodeFor(worstOf(tokenFindings([token()])))).toBe(0);
    expect(exitCodeFor(worstOf(tokenFindings([token(), token({ countLow: true })])))).toBe(1);
    expect(
      exitCodeFor(worstOf(tokenFindings([token({ countLow: true }), token({ locked: true })]))),
    ).toBe(2);
  });
});

describe('severity order and counts', () => {
  const f = (id: string, severity: Finding['severity']): Finding => ({
    id,
    section: 'agent',
    severity,
    message: { vi: id, en: id },
  });
  const findings = [
    f('a', 'ok'),
    f('b', 'error'),
    f('c', 'ok'),
    f('d', 'warning'),
    f('e', 'error'),
    f('g', 'ok'),
    f('h', 'ok'),
    f('i', 'ok'),
  ];

  it('sorts worst first and keeps the order within a severity', () => {
    expect(bySeverity(findings).map((x) => x.id)).toEqual(['b', 'e', 'd', 'a', 'c', 'g', 'h', 'i']);
  });

  it('counts in Vietnamese and English, zeros left out', () => {
    expect(countsText(findings)).toEqual({
      vi: '2 lỗi, 1 cảnh báo, 5 đạt',
      en: '2 errors, 1 warning, 5 passed',
    });
    expect(countsText([f('x', 'info')])).toEqual({ vi: '1 ghi chú', en: '1 note' });
  });
});
