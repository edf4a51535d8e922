/** The kyso command line against the SoftHSM2 TEST tokens, as IT staff and scripts use it. */
import { spawnSync } from 'node:child_process';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadTestPki } from './pki.ts';

const pki = loadTestPki();

function kyso(args: string[], input?: string) {
  const result = spawnSync('node', ['bin/kyso.js', ...args, '--module', pki.modulePath], {
    input: input ?? '',
    encoding: 'utf8',
    env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: pki.dir },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kyso CLI', () => {
  it('kyso tokens --json lists the module and every test token', () => {
    const { code, stdout } = kyso(['tokens', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { modules: { state: string }[]; tokens: { label: string }[] };
    expect(out.modules[0]?.state).toBe('loaded');
    expect(out.tokens.map((t) => t.label).sort()).toEqual(pki.tokens.map((t) => t.label).sort());
  });

  it('kyso certs prints subjects with diacritics and the ids to sign with', () => {
    const { code, stdout } = kyso(['certs']);
    expect(code).toBe(0);
    expect(stdout).toContain('Nguyễn Văn Ánh');
    expect(stdout).toContain(pki.token('leader').certificateId);
    expect(stdout).toMatch(/Phạm Thị Hết Hạn[\s\S]*ĐÃ HẾT HẠN \/ EXPIRED/);
  });

  it('kyso sign-hash --pin-stdin prints a signature that verifies', () => {
    const token = pki.token('ecdsa');
    const data = Buffer.from('thử ký');
    const hash = createHash('sha256').update(data).digest('hex');
    const { code, stdout } = kyso(
      ['sign-hash', '--cert', token.certificateId, '--hash', hash, '--pin-stdin', '--json'],
      `${token.pin}\n`,
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { signature: string; scheme: string };
    expect(out.scheme).toBe('ECDSA');
    const key = new X509Certificate(token.certificatePem).publicKey;
    expect(verify('sha256', data, key, Buffer.from(out.signature, 'base64'))).toBe(true);
  });

  it('test-signing with an expired certificate says it expired and what to do', () => {
    const token = pki.token('expired');
    const hash = createHash('sha256').update('x').digest('hex');
    const { code, stdout } = kyso(
      ['sign-hash', '--cert', token.certificateId, '--hash', hash, '--pin-stdin', '--json'],
      `${token.pin}\n`,
    );
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: { code: 'CERTIFICATE_EXPIRED', message: { en: expect.stringMatching(/renew/) } },
    });
  });

  it('a wrong PIN exits 1 with a bilingual message saying what to do; bad input names the field', () => {
    const token = pki.token('leader');
    const hash = createHash('sha256').update('x').digest('hex');
    const wrong = kyso(
      ['sign-hash', '--cert', token.certificateId, '--hash', hash, '--pin-stdin'],
      '999999\n',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('[PIN_INCORRECT]');
    expect(wrong.stderr).toContain('Mã PIN không đúng');
    expect(wrong.stderr).toContain('The PIN is incorrect');
    const bad = kyso(['sign-hash', '--cert', token.certificateId, '--hash', 'xyz', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', details: { field: '--hash' } },
    });
    const unknown = kyso(['frobnicate']);
    expect(unknown.code).toBe(2);
  });
});
