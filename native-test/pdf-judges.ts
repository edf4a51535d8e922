/**
 * Independent judges for signed PDFs: poppler's pdfsig, qpdf and openssl cms. None of them
 * shares code with agent/pdf: signatures are even located with a plain regex over the bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import { tokenSigner, loadCertificates, type TokenSigner } from '../agent/cms/index.ts';
import type { TestPki, TestRole } from './pki.ts';

const run = promisify(execFile);

export interface PdfsigSignature {
  valid: boolean;
  validation: string;
  subFilter: string;
  totalDocumentSigned: boolean;
}

/** pdfsig exits 0 even for invalid signatures, so its text output is parsed. */
export async function pdfsig(file: string): Promise<PdfsigSignature[]> {
  const { stdout } = await run('pdfsig', ['-nocert', file]).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  const blocks = stdout.split(/^Signature #\d+:/m).slice(1);
  return blocks.map((block) => {
    const validation = /Signature Validation: (.*)/.exec(block)?.[1]?.trim() ?? '';
    return {
      valid: validation === 'Signature is Valid.',
      validation,
      subFilter: /Signature Type: (.*)/.exec(block)?.[1]?.trim() ?? '',
      totalDocumentSigned: /Total document signed/.test(block),
    };
  });
}

export async function qpdfCheck(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run('qpdf', ['--check', file]);
    return { ok: true, output: stdout };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

export interface ExtractedSignature {
  byteRange: [number, number, number, number];
  cms: Buffer;
  signedContent: Buffer;
}

/** Finds every /ByteRange in the raw bytes and cuts out the CMS and the signed bytes. */
export function extractSignatures(file: string): ExtractedSignature[] {
  const bytes = readFileSync(file);
  const text = bytes.toString('latin1');
  const out: ExtractedSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const br = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
    const hex = text.slice(br[1] + 1, br[2] - 1);
    let cms = Buffer.from(hex, 'hex');
    // Trim the zero padding using the DER length.
    const len1 = cms[1] ?? 0;
    if (len1 & 0x80) {
      let len = 0;
      for (let i = 0; i < (len1 & 0x7f); i++) len = len * 256 + (cms[2 + i] ?? 0);
      cms = cms.subarray(0, 2 + (len1 & 0x7f) + len);
    }
    const signedContent = Buffer.concat([
      bytes.subarray(br[0], br[0] + br[1]),
      bytes.subarray(br[2], br[2] + br[3]),
    ]);
    out.push({ byteRange: br, cms, signedContent });
  }
  return out;
}

/** openssl cms -verify of each extracted signature against the root; true when accepted. */
export async function opensslVerifyAll(file: string, rootPem: string): Promise<boolean[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-openssl-'));
  try {
    const results: boolean[] = [];
    for (const [i, s] of extractSignatures(file).entries()) {
      const sig = join(dir, `sig${i}.der`);
      const content = join(dir, `content${i}.bin`);
      writeFileSync(sig, s.cms);
      writeFileSync(content, s.signedContent);
      const ok = await run('openssl', [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        sig,
        '-content',
        content,
        '-CAfile',
        rootPem,
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ]).then(
        () => true,
        () => false,
      );
      results.push(ok);
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTestTokens(pki: TestPki): Promise<TokenService> {
  return startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
}

/** A Signer on a SoftHSM2 test token, with the issuing CA as chain. */
export async function testSigner(
  service: TokenService,
  pki: TestPki,
  role: TestRole,
  scheme?: 'RSA-PSS',
): Promise<TokenSigner> {
  const token = pki.token(role);
  return tokenSigner({
    service,
    certificateId: token.certificateId,
    credentials: { pin: token.pin },
    chain: loadCertificates(readFileSync(pki.issuingCaPem)),
    ...(scheme ? { scheme } : {}),
  });
}
