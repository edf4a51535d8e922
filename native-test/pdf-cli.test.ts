/** `kyso sign` and `kyso verify` as IT staff and scripts use them, on the SoftHSM2 tokens. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_SIGNATURE_PATH } from '../agent/pdf/appearance/demo-images.ts';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';

const pki = copyTestPki();
const dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-cli-'));
const input = join(
  import.meta.dirname,
  'fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

function kyso(args: string[], stdin = '') {
  const result = spawnSync('node', ['bin/kyso.js', ...args], {
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: pki.dir },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function sign(out: string, extra: string[] = [], pin = pki.token('leader').pin) {
  return kyso(
    [
      'sign',
      input,
      '--cert',
      pki.token('leader').certificateId,
      '--out',
      out,
      '--chain',
      pki.issuingCaPem,
      '--pin-stdin',
      '--module',
      pki.modulePath,
      ...extra,
    ],
    `${pin}\n`,
  );
}

describe('kyso sign / kyso verify', () => {
  const signed = join(dir, 'signed.pdf');

  it('signs with an approval appearance; pdfsig and kyso verify accept it', async () => {
    const before = readFileSync(input);
    const { code, stdout, stderr } = sign(signed, [
      '--preset',
      'approval',
      '--image',
      DEMO_SIGNATURE_PATH,
      '--page',
      '1',
      '--rect',
      '300,100,450,180',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { ok: boolean; output: string; fieldName: string };
    expect(out).toMatchObject({ ok: true, output: signed, fieldName: 'Signature1' });
    expect(readFileSync(input).equals(before)).toBe(true);
    expect((await pdfsig(signed))[0]?.valid).toBe(true);
    // No temp files left next to the output.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const verified = kyso(['verify', signed, '--trust', pki.rootCaPem, '--json']);
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout) as {
      valid: boolean;
      signatures: { signer: string; preset: string; valid: boolean }[];
    };
    expect(report.valid).toBe(true);
    expect(report.signatures[0]).toMatchObject({
      signer: 'Nguyễn Văn Ánh',
      preset: 'approval',
      valid: true,
    });
    const text = kyso(['verify', signed, '--trust', pki.rootCaPem]);
    expect(text.stdout).toContain('HỢP LỆ / VALID');
    expect(text.stdout).toContain('ETSI.CAdES.detached (PAdES B-B)');
    // People read the signing time in Vietnam time, never as a UTC "Z" time.
    expect(text.stdout).toMatch(
      /Thời điểm ký \/ Signing time: \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(\+07:00\)\n/,
    );
    expect(text.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('never overwrites: an existing output or the input itself is FILE_EXISTS', () => {
    const again = sign(signed, ['--json']);
    expect(again.code).toBe(1);
    expect((JSON.parse(again.stdout) as { error: { code: string } }).error.code).toBe(
      'FILE_EXISTS',
    );
    const self = kyso([
      'sign',
      input,
      '--cert',
      pki.token('leader').certificateId,
      '--out',
      input,
      '--pin-stdin',
      '--module',
      pki.modulePath,
      '--json',
    ]);
    expect((JSON.parse(self.stdout) as { error: { code: string } }).error.code).toBe('FILE_EXISTS');
  });

  it.skipIf(process.getuid?.() !== 0)(
    'an output folder on a full disk is DISK_FULL with the sizes, and nothing is written (tmpfs, root)',
    () => {
      const small = mkdtempSync(join(tmpdir(), 'kyso-small-disk-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
      try {
        const out = join(small, 'signed.pdf');
        const result = sign(out, ['--json']);
        expect(result.code).toBe(1);
        const { error } = JSON.parse(result.stdout) as {
          error: { code: string; details: Record<string, number> };
        };
        expect(error.code).toBe('DISK_FULL');
        expect(error.details.neededBytes).toBe(readFileSync(input).length);
        expect(error.details.freeBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
        expect(readdirSync(small)).toEqual([]);
        const text = sign(out);
        expect(text.code).toBe(1);
        expect(text.stderr).toMatch(
          /Ổ đĩa không còn đủ chỗ trống[\s\S]*not have enough free space/,
        );
      } finally {
        execFileSync('umount', [small]);
        rmSync(small, { recursive: true, force: true });
      }
    },
  );

  it('a wrong PIN is PIN_INCORRECT and leaves no output', () => {
    const out = join(dir, 'wrong-pin.pdf');
    const result = sign(out, ['--json'], '000000');
    expect((JSON.parse(result.stdout) as { error: { code: string } }).error.code).toBe(
      'PIN_INCORRECT',
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an expired certificate is refused before the PIN is asked, and nothing is written', () => {
    const out = join(dir, 'expired.pdf');
    const expired = pki.token('expired');
    const { code, stderr } = kyso(
      [
        'sign',
        input,
        '--cert',
        expired.certificateId,
        '--out',
        out,
        '--pin-stdin',
        '--module',
        pki.modulePath,
      ],
      `${expired.pin}\n`,
    );
    expect(code).toBe(1);
    expect(stderr).toContain('[CERTIFICATE_EXPIRED]');
    expect(stderr).toContain('gia hạn');
    expect(existsSync(out)).toBe(false);
  });

  it('bad arguments name the field', () => {
    const codes = [
      sign(join(dir, 'x.pdf'), ['--preset', 'seal', '--json']),
      sign(join(dir, 'x.pdf'), ['--rect', '1,2,3', '--json']),
      sign(join(dir, 'x.pdf'), ['--page', '0', '--rect', '1,2,3,4', '--json']),
    ].map(
      (r) =>
        (JSON.parse(r.stdout) as { error: { code: string; details: { field: string } } }).error,
    );
    expect(codes).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ field: '--preset' }),
      }),
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ field: '--rect' }),
      }),
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ field: '--page' }),
      }),
    ]);
  });

  it('kyso verify exits 1 for a tampered file, an untrusted root, and reports unsigned files', () => {
    const bytes = readFileSync(signed);
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    const tampered = join(dir, 'tampered.pdf');
    writeFileSync(tampered, bytes);
    const t = kyso(['verify', tampered, '--trust', pki.rootCaPem]);
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('digest BAD');
    const untrusted = kyso(['verify', signed]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toContain('no-trust-anchors');
    const unsigned = kyso(['verify', input, '--json']);
    expect(JSON.parse(unsigned.stdout)).toMatchObject({ signatures: [], valid: false });
    const encrypted = kyso([
      'verify',
      join(
        import.meta.dirname,
        'fixtures/corpus/005-libreoffice-writer-password_libreoffice-writer-password.pdf',
      ),
      '--json',
    ]);
    expect((JSON.parse(encrypted.stdout) as { error: { code: string } }).error.code).toBe(
      'PDF_ENCRYPTED',
    );
  });
});
