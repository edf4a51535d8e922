/**
 * What users get wrong, said plainly (issue 12 item 6): a missing file at `kyso sign` is
 * FILE_NOT_FOUND (not "report this to the developer"); a PDF encrypted with an empty user
 * password is "permissions only", not "password-protected"; --certify / certify on a signed
 * document is PDF_CERTIFY_NOT_FIRST.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../agent/protocol/index.ts';
import { copyTestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const corpus = join(import.meta.dirname, 'fixtures/corpus');
const plain = join(corpus, '001-trivial_minimal-document.pdf');
const passwordProtected = join(
  corpus,
  '005-libreoffice-writer-password_libreoffice-writer-password.pdf',
);
let agent: TestAgent;
let client: TestClient;
let dir: string;

beforeAll(async () => {
  agent = await startTestAgent({ pki: copyTestPki() });
  client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-messages-'));
});

afterAll(async () => {
  client.socket.close();
  await agent.close();
  rmSync(agent.pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (file: string) => readFileSync(file).toString('base64');

describe('encrypted PDFs', () => {
  it('tells "permissions only" (empty user password) from "password-protected"', async () => {
    const id = agent.pki.token('leader').certificateId;
    const kinds: string[] = [];
    for (const bits of ['256', '128']) {
      const file = join(dir, `permissions-${bits}.pdf`);
      execFileSync('qpdf', [
        '--allow-weak-crypto',
        '--encrypt',
        '',
        'owner',
        bits,
        '--',
        plain,
        file,
      ]);
      const reply = await client.call('sign.pdf', { certificateId: id, pdf: b64(file) });
      expect(reply.error?.data.reason).toBe('PDF_ENCRYPTED');
      kinds.push(String(reply.error?.data.details?.encryption));
      expect(String(reply.error?.data.details?.reason)).toMatch(/permissions only/);
      expect(String(reply.error?.data.details?.reason)).not.toMatch(/password-protected/);
    }
    const locked = await client.call('sign.pdf', {
      certificateId: id,
      pdf: b64(passwordProtected),
    });
    kinds.push(String(locked.error?.data.details?.encryption));
    expect(kinds).toEqual(['permissions-only', 'permissions-only', 'password']);
    expect(catalog.PDF_ENCRYPTED.en).toMatch(/without encryption/);
  });
});

describe('certification', () => {
  it('refuses to certify an already signed document with PDF_CERTIFY_NOT_FIRST', async () => {
    const id = agent.pki.token('leader').certificateId;
    const first = await client.call('sign.pdf', { certificateId: id, pdf: b64(plain) });
    const signed = (first.result as { pdf: string }).pdf;
    const again = await client.call('sign.pdf', { certificateId: id, pdf: signed, certify: 2 });
    expect(again.error?.data).toMatchObject({
      reason: 'PDF_CERTIFY_NOT_FIRST',
      details: { signatures: 1 },
    });
    expect(again.error?.data.message.en).toMatch(/certification must be the first signature/);
  });
});

describe('kyso sign', () => {
  it('names a missing input file with FILE_NOT_FOUND', () => {
    const pki = agent.pki;
    const missing = join(dir, 'Quyet dinh 12 (ban sua).pdf');
    const result = spawnSync(
      'node',
      [
        'bin/kyso.js',
        'sign',
        missing,
        '--cert',
        pki.token('leader').certificateId,
        '--out',
        join(dir, 'out.pdf'),
        '--module',
        pki.modulePath,
        '--pin-stdin',
        '--json',
      ],
      {
        input: `${pki.token('leader').pin}\n`,
        encoding: 'utf8',
        env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: pki.dir },
      },
    );
    const { error } = JSON.parse(result.stdout) as {
      error: { code: string; message: { vi: string; en: string }; details: { path: string } };
    };
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', details: { path: missing } });
    expect(error.message.en).not.toMatch(/developer/);
    expect(result.status).not.toBe(0);
  });
});
