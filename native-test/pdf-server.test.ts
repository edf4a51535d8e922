/**
 * sign.pdf, sign.pdfs and verify.pdf over a real WebSocket against a real agent on SoftHSM2
 * with scripted consent: one approval for a batch, results judged by pdfsig.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const corpus = join(import.meta.dirname, 'fixtures/corpus');
const pdf = (file: string): string => readFileSync(join(corpus, file)).toString('base64');
const libreoffice = pdf('002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf');
const pdflatex = pdf('001-trivial_minimal-document.pdf');
const encrypted = pdf('005-libreoffice-writer-password_libreoffice-writer-password.pdf');

let agent: TestAgent;
let client: TestClient;
let dir: string;

beforeAll(async () => {
  agent = await startTestAgent({ pki: copyTestPki() });
  client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-server-'));
});

afterAll(async () => {
  client.socket.close();
  await agent.close();
  rmSync(agent.pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

async function judge(base64: string, name: string): Promise<boolean[]> {
  const file = join(dir, name);
  writeFileSync(file, Buffer.from(base64, 'base64'));
  return (await pdfsig(file)).map((s) => s.valid);
}

describe('sign.pdf', () => {
  it('signs with an approval appearance after the user approves; verify.pdf agrees', async () => {
    const reply = await client.call('sign.pdf', {
      certificateId: agent.pki.token('leader').certificateId,
      pdf: libreoffice,
      documentName: 'Quyết định 12/QĐ-UBND.pdf',
      preset: 'approval',
      image: demoSignaturePng().toString('base64'),
      placement: { page: 1, rect: [300, 100, 450, 180] },
      chain: [readFileSync(agent.pki.issuingCaPem).toString('base64')],
    });
    expect(reply.error).toBeUndefined();
    const result = reply.result as { pdf: string; fieldName: string };
    expect(result.fieldName).toBe('Signature1');
    expect(await judge(result.pdf, 'one.pdf')).toEqual([true]);
    const shown = agent.consent.log.filter((e) => e.kind === 'signing').at(-1);
    expect(shown?.kind === 'signing' && shown.request).toMatchObject({
      kind: 'pdf',
      documents: [{ name: 'Quyết định 12/QĐ-UBND.pdf', hashAlgorithm: 'SHA-256' }],
    });

    const verified = await client.call('verify.pdf', {
      pdf: result.pdf,
      trustAnchors: [readFileSync(agent.pki.rootCaPem).toString('base64')],
    });
    expect(verified.result).toMatchObject({
      valid: true,
      totalDocumentSigned: true,
      signatures: [{ signer: 'Nguyễn Văn Ánh', preset: 'approval', valid: true }],
    });
  });

  it('bad params name the field; an encrypted PDF is PDF_ENCRYPTED', async () => {
    const id = agent.pki.token('leader').certificateId;
    const notPdf = await client.call('sign.pdf', {
      certificateId: id,
      pdf: Buffer.from('hello').toString('base64'),
    });
    expect(notPdf.error?.data).toMatchObject({ reason: 'PDF_MALFORMED', field: 'pdf' });
    const badPreset = await client.call('sign.pdf', {
      certificateId: id,
      pdf: pdflatex,
      preset: 'x',
    });
    expect(badPreset.error?.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'preset' });
    const badPlacement = await client.call('sign.pdf', {
      certificateId: id,
      pdf: pdflatex,
      placement: { page: 0, rect: [1, 2, 3, 4] },
    });
    expect(badPlacement.error?.data).toMatchObject({ field: 'placement.page' });
    const typo = await client.call('sign.pdf', { certificateId: id, pdf: pdflatex, presets: 'x' });
    expect(typo.error?.data).toMatchObject({ field: 'presets' });
    const enc = await client.call('sign.pdf', { certificateId: id, pdf: encrypted });
    expect(enc.error?.data.reason).toBe('PDF_ENCRYPTED');
  });
});

describe('sign.pdfs', () => {
  it('signs a batch with one approval; a bad document fails alone', async () => {
    const before = agent.consent.log.filter((e) => e.kind === 'signing').length;
    const reply = await client.call('sign.pdfs', {
      certificateId: agent.pki.token('seal').certificateId,
      preset: 'attachment',
      chain: [readFileSync(agent.pki.issuingCaPem).toString('base64')],
      items: [
        { name: 'a.pdf', pdf: libreoffice, docNumber: '1/QĐ-UBND' },
        { name: 'b.pdf', pdf: encrypted, docNumber: '2/QĐ-UBND' },
        { name: 'c.pdf', pdf: pdflatex, docNumber: '3/QĐ-UBND' },
      ],
    });
    expect(reply.error).toBeUndefined();
    const items = (
      reply.result as {
        items: { name: string; ok: boolean; pdf?: string; error?: { code: string } }[];
      }
    ).items;
    expect(items.map((i) => i.ok)).toEqual([true, false, true]);
    expect(items[1]?.error?.code).toBe('PDF_ENCRYPTED');
    expect(agent.consent.log.filter((e) => e.kind === 'signing').length).toBe(before + 1);
    expect(await judge(items[0]?.pdf ?? '', 'a.pdf')).toEqual([true]);
    expect(await judge(items[2]?.pdf ?? '', 'c.pdf')).toEqual([true]);
  });
});
