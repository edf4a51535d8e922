/**
 * A support bundle generated from a report full of things that must not leave the computer,
 * then read back as the file IT would receive and grepped for each of them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { programName } from './port.ts';
import { portFindings } from './checks.ts';
import { redactString, writeBundle } from './bundle.ts';
import type { DoctorReport, Finding } from './types.ts';

const ctx = { home: '/home/lan', user: 'lan' };
const subject =
  'CN=Nguyễn Văn Lan,UID=CCCD:001234567890,serialNumber=079123456789,O=UBND Hà Nội,C=VN';

function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-bundle-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      port: 51987,
      allowedOrigins: ['https://vanban.hanoi.gov.vn'],
      modules: ['C:\\Users\\lan\\AppData\\Local\\VNPT-CA\\vnpt-ca.dll'],
      log: '/Users/lan/Library/Logs/kyso.log',
    }),
  );
  const findings: Finding[] = [
    ...portFindings(51987, {
      state: 'in-use',
      owner: { pid: 4242, command: '/usr/bin/python3 /srv/holder.py --token s3cr3t-arg' },
    }),
    {
      id: 'certificate.valid',
      section: 'certificates',
      severity: 'ok',
      message: {
        vi: `Chứng thư số "Nguyễn Văn Lan" (MST:0101234567, MST: 0101234567-001) còn hiệu lực. Kế hoạch lan tỏa.`,
        en: 'Certificate of CMND:123456789, HC=B1234567, budget unit MNS:1234567.',
      },
      facts: { subject, notAfter: '2027-01-01T00:00:00.000Z' },
    },
    {
      id: 'x',
      section: 'agent',
      severity: 'info',
      message: {
        vi: 'log /home/lan/.config/kyso/agent.log, /home/other-user/x, C:\\Users\\lan\\Desktop\\a.pdf',
        en: 'tax code 0101234567 in CN=Công ty 0101234567; port 51987, pid 4242',
      },
      facts: { commandLine: '"C:\\Program Files\\Other\\holder.exe" --password hunter2' },
    },
  ];
  const report: DoctorReport = {
    tool: 'kyso doctor',
    agentVersion: '0.1.0',
    generatedAt: '2026-11-23T04:08:09.000Z',
    platform: { os: 'linux', arch: 'x64', node: 'v20' },
    worst: 'error',
    findings,
  };
  const file = join(dir, 'bundle.json');
  writeBundle(file, { report, configFile }, ctx);
  return readFileSync(file, 'utf8');
}

describe('support bundle redaction', () => {
  const bundle = generate();

  it('removes citizen and tax identifiers from subjects and messages', () => {
    for (const id of [
      '001234567890',
      '079123456789',
      '0101234567',
      '123456789',
      'B1234567',
      '1234567.',
    ]) {
      expect(bundle, id).not.toContain(id);
    }
    expect(bundle).toContain('UID=CCCD:[đã xóa/removed]');
    expect(bundle).toContain('serialNumber=[đã xóa/removed]');
    expect(bundle).toContain('MST:[đã xóa/removed]');
    // Whose certificate it is stays readable.
    expect(bundle).toContain('CN=Nguyễn Văn Lan');
    expect(bundle).toContain('O=UBND Hà Nội');
  });

  it('removes the user name by path structure, not by word', () => {
    expect(bundle).not.toMatch(/\/home\/lan\b/);
    expect(bundle).not.toMatch(/\/Users\/lan\b/);
    expect(bundle).not.toMatch(/Users\\\\lan\b/);
    expect(bundle).not.toContain('other-user');
    expect(bundle).toContain('~/.config/kyso/agent.log');
    expect(bundle).toContain('/Users/<user>/Library/Logs/kyso.log');
    expect(bundle).toContain('C:\\\\Users\\\\<user>\\\\AppData');
    // The same word elsewhere is left alone.
    expect(bundle).toContain('Kế hoạch lan tỏa');
  });

  it("keeps other programs' names and drops their arguments", () => {
    expect(bundle).not.toContain('s3cr3t-arg');
    expect(bundle).not.toContain('holder.py');
    expect(bundle).not.toContain('hunter2');
    expect(bundle).toContain('python3 (tiến trình 4242)');
    expect(bundle).toContain('"command": "python3"');
    expect(bundle).toContain('"commandLine": "holder.exe"');
  });

  it('keeps ports, process ids and times', () => {
    expect(bundle).toContain('port 51987, pid 4242');
    expect(bundle).toContain('23/11/2026 11:08:09 (+07:00)');
  });
});

describe('programName', () => {
  it('keeps the program and drops directory and arguments', () => {
    expect(programName('/usr/bin/python3 /srv/x.py --token abc')).toBe('python3');
    expect(programName('"C:\\Program Files\\VGCA\\VGCASignService.exe" -k abc')).toBe(
      'VGCASignService.exe',
    );
    expect(programName('C:\\Program Files\\VGCA\\VGCASignService.exe -k abc')).toBe(
      'VGCASignService.exe',
    );
    expect(programName('VGCASignService.exe')).toBe('VGCASignService.exe');
    expect(programName('')).toBe('');
  });

  it('redacts a line without touching the words', () => {
    expect(redactString('an an /home/an/x', { home: '/nowhere', user: 'an' })).toBe(
      'an an /home/<user>/x',
    );
  });
});
