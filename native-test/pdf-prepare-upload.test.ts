/**
 * What the socket store asks of prepareSignPdf (issue 12): an upload's running SHA-256 is
 * continued instead of hashing the file again, and a result of the store's own is written in
 * place. Real parts: a generated 1 MB PDF, a SoftHSM2 signature, our verifier.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSignPdf, verifyPdf, type SignPdfOptions } from '../agent/pdf/index.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { makeBigPdf } from './big-pdf.ts';
import { startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki } from './pki.ts';

let pki: TestPki;
let service: TokenService;
let dir: string;
let input: string;
let original: Buffer;
let base: Omit<SignPdfOptions, 'output'>;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  dir = mkdtempSync(join(tmpdir(), 'kyso-prepare-upload-'));
  input = join(dir, 'upload');
  makeBigPdf(input, 1_000_000, 3);
  original = readFileSync(input);
  base = {
    signer: await testSigner(service, pki, 'leader'),
    // One time for every preparation: the same document gives the same digest.
    signingTime: new Date(),
    durable: false,
  };
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const uploadHash = (bytes: Buffer) => createHash('sha256').update(bytes);

describe('preparing a stored upload', () => {
  it("continues the upload's SHA-256: the same digest as hashing the file, a valid signature", async () => {
    const streamed = await prepareSignPdf(input, { ...base, output: join(dir, 'streamed') });
    const carried = await prepareSignPdf(input, {
      ...base,
      output: join(dir, 'carried'),
      inputDigest: { algorithm: 'SHA-256', size: original.length, state: uploadHash(original) },
    });
    expect(carried.toSign.equals(streamed.toSign)).toBe(true);
    await streamed.abort();
    const signer = base.signer;
    await carried.finish(await signer.sign(carried.toSign, carried.hash));
    const report = await verifyPdf(join(dir, 'carried'), {
      trustAnchors: [readFileSync(pki.rootCaPem)],
    });
    expect(report.valid).toBe(true);
    expect(report.totalDocumentSigned).toBe(true);
    expect(readFileSync(input).equals(original)).toBe(true);
  });

  it('hashes the file itself when the carried hash is of another size or algorithm', async () => {
    const streamed = await prepareSignPdf(input, { ...base, output: join(dir, 'ref') });
    const wrong = uploadHash(Buffer.from('not the upload'));
    for (const inputDigest of [
      { algorithm: 'SHA-256' as const, size: original.length - 1, state: wrong },
      { algorithm: 'SHA-384' as const, size: original.length, state: wrong },
    ]) {
      const p = await prepareSignPdf(input, { ...base, output: join(dir, 'other'), inputDigest });
      expect(p.toSign.equals(streamed.toSign)).toBe(true);
      await p.abort();
    }
    // Of the right size and algorithm it is trusted: the caller vouches it hashed the file.
    const trusted = await prepareSignPdf(input, {
      ...base,
      output: join(dir, 'other'),
      inputDigest: { algorithm: 'SHA-256', size: original.length, state: wrong },
    });
    expect(trusted.toSign.equals(streamed.toSign)).toBe(false);
    await trusted.abort();
    await streamed.abort();
  });

  it('writes a result of its own in place, never over a file, and abort removes it', async () => {
    const own = mkdtempSync(join(dir, 'own-'));
    const output = join(own, 'result');
    const prepared = await prepareSignPdf(input, { ...base, output, ownOutput: true });
    const result = await prepared.finish(await base.signer.sign(prepared.toSign, prepared.hash));
    // No temp file beside it: the copy was made at the output itself.
    expect(readdirSync(own)).toEqual(['result']);
    const signed = readFileSync(output);
    expect(signed.length).toBe(result.size);
    expect(signed.subarray(0, original.length).equals(original)).toBe(true);

    const taken = join(own, 'taken');
    writeFileSync(taken, 'someone else');
    await expect(
      prepareSignPdf(input, { ...base, output: taken, ownOutput: true }),
    ).rejects.toThrow();
    expect(readFileSync(taken, 'utf8')).toBe('someone else');

    const abandoned = join(own, 'abandoned');
    const p = await prepareSignPdf(input, { ...base, output: abandoned, ownOutput: true });
    expect(existsSync(abandoned)).toBe(true);
    await p.abort();
    expect(readdirSync(own).sort()).toEqual(['result', 'taken']);
    expect(readFileSync(input).equals(original)).toBe(true);
  });
});
