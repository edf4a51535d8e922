/**
 * Batch signing: every document is prepared first (parsed, hashed), then all digests are
 * signed with one consent and one token login (signMany), then every output is written.
 */
import type { Signer } from '../cms/index.ts';
import { toKysoError, type KysoError } from '../errors/index.ts';
import type { HashAlgorithm } from '../tokens/index.ts';
import { prepareSignPdf } from './sign.ts';
import type { PreparedPdfSignature, SignPdfOptions, SignPdfResult } from './sign-options.ts';

export interface BatchSigner extends Signer {
  signMany?(digests: Buffer[], hash: HashAlgorithm): Promise<Buffer[]>;
}

export interface BatchItem {
  input: string | Buffer;
  options?: Omit<SignPdfOptions, 'signer'>;
}

export type BatchResult = { ok: true; result: SignPdfResult } | { ok: false; error: KysoError };

export async function signPdfs(
  items: BatchItem[],
  common: Omit<SignPdfOptions, 'signer' | 'output'> & { signer: BatchSigner },
): Promise<BatchResult[]> {
  const prepared: (PreparedPdfSignature | KysoError)[] = [];
  for (const item of items) {
    try {
      prepared.push(await prepareSignPdf(item.input, { ...common, ...item.options }));
    } catch (error) {
      prepared.push(toKysoError(error));
    }
  }
  const ready = prepared.filter((p): p is PreparedPdfSignature => 'toSign' in p);
  const hash = common.hash ?? 'SHA-256';
  let signatures: Buffer[];
  try {
    signatures = common.signer.signMany
      ? await common.signer.signMany(
          ready.map((p) => p.toSign),
          hash,
        )
      : await sequential(common.signer, ready, hash);
  } catch (error) {
    await Promise.all(ready.map((p) => p.abort()));
    throw error;
  }
  const results: BatchResult[] = [];
  let k = 0;
  for (const p of prepared) {
    if (!('toSign' in p)) {
      results.push({ ok: false, error: p });
      continue;
    }
    const signature = signatures[k++];
    try {
      if (!signature) throw new Error('missing signature');
      results.push({ ok: true, result: await p.finish(signature) });
    } catch (error) {
      results.push({ ok: false, error: toKysoError(error) });
    }
  }
  return results;
}

async function sequential(
  signer: Signer,
  ready: PreparedPdfSignature[],
  hash: HashAlgorithm,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const p of ready) out.push(await signer.sign(p.toSign, hash));
  return out;
}
