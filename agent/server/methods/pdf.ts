/**
 * sign.pdf, sign.pdfs and verify.pdf. The agent parses and hashes each PDF, the user approves
 * once (one dialog and one PIN for a whole batch) through the signing service, the token signs
 * one digest per document, and the signed PDFs go back as base64.
 */
import { keySchemeOf, loadCertificates, type Signer } from '../../cms/index.ts';
import { loadTrust, type TrustMaterial } from '../../config/index.ts';
import { KysoError, toKysoError } from '../../errors/index.ts';
import { chainForCertificate } from '../../pki/index.ts';
import {
  prepareSignPdf,
  verifyPdf,
  type AppearanceOptions,
  type PreparedPdfSignature,
  type SignaturePreset,
} from '../../pdf/index.ts';
import type { CertificateInfo, HashAlgorithm, SignatureScheme } from '../../tokens/types.ts';
import { RpcError } from '../jsonrpc.ts';
import { Params } from '../params.ts';
import type { MethodContext, MethodTable } from './registry.ts';

const NAME = { max: 500, what: 'a document name (1-500 characters)' };
const TEXT = { max: 500, what: 'text (1-500 characters)' };
const PRESETS: readonly SignaturePreset[] = [
  'approval',
  'issuance',
  'attachment',
  'copy',
  'plain',
  'custom',
];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Appearance and signature-dictionary members accepted per document and for the batch. */
const APPEARANCE_MEMBERS = [
  'preset',
  'docNumber',
  'issuedDate',
  'copyForm',
  'organisation',
  'image',
  'placement',
  'textLines',
  'reason',
  'location',
];

type Raw = Record<string, unknown>;

function bytes(p: Params, raw: Raw, name: string, what: string): Buffer {
  const value = raw[name];
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) {
    throw RpcError.invalidParams(p.field(name), `${what} in base64 (standard alphabet, padded)`);
  }
  return Buffer.from(value, 'base64');
}

function optionalBytes(p: Params, raw: Raw, name: string, what: string): Buffer | undefined {
  return raw[name] === undefined ? undefined : bytes(p, raw, name, what);
}

function pdfBytes(p: Params, raw: Raw): Buffer {
  const pdf = bytes(p, raw, 'pdf', 'the PDF');
  if (pdf.subarray(0, 1024).indexOf('%PDF-') < 0) {
    throw RpcError.invalidParams(p.field('pdf'), 'a PDF file (no %PDF- header)', 'PDF_MALFORMED');
  }
  return pdf;
}

function placementOf(p: Params, raw: Raw): AppearanceOptions['placement'] {
  const value = raw.placement;
  if (value === undefined) return undefined;
  const field = p.field('placement');
  const what = '{ "page": N, "rect": [x1, y1, x2, y2] } or { "anchor": "text", "page"?: N }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw RpcError.invalidParams(field, what);
  }
  const v = value as Raw;
  const page = v.page;
  if (page !== undefined && (!Number.isInteger(page) || (page as number) < 1)) {
    throw RpcError.invalidParams(`${field}.page`, 'a page number from 1');
  }
  const pageIndex = page === undefined ? undefined : (page as number) - 1;
  if (typeof v.anchor === 'string' && v.anchor.length > 0 && v.rect === undefined) {
    return pageIndex === undefined ? { anchor: v.anchor } : { anchor: v.anchor, page: pageIndex };
  }
  const rect = v.rect;
  if (
    Array.isArray(rect) &&
    rect.length === 4 &&
    rect.every((n) => typeof n === 'number' && Number.isFinite(n))
  ) {
    return { page: pageIndex ?? 0, rect: rect as [number, number, number, number] };
  }
  throw RpcError.invalidParams(field, what);
}

interface DocumentOptions {
  preset: SignaturePreset;
  appearance: AppearanceOptions;
  reason?: string;
  location?: string;
}

/** Reads the appearance members of one object, over the batch defaults. */
function documentOptions(p: Params, raw: Raw, defaults?: DocumentOptions): DocumentOptions {
  const presetValue = raw.preset;
  if (presetValue !== undefined && !PRESETS.includes(presetValue as SignaturePreset)) {
    throw RpcError.invalidParams(p.field('preset'), `one of ${PRESETS.join(', ')}`);
  }
  const appearance: AppearanceOptions = { ...defaults?.appearance };
  const docNumber = p.optionalString('docNumber', TEXT);
  const issuedDate = p.optionalString('issuedDate', TEXT);
  const copyForm = p.optionalString('copyForm', TEXT);
  const organisation = p.optionalString('organisation', TEXT);
  const image = optionalBytes(p, raw, 'image', 'a PNG image');
  const placement = placementOf(p, raw);
  const textLines = p.optionalStrings('textLines');
  if (docNumber !== undefined) appearance.docNumber = docNumber;
  if (issuedDate !== undefined) appearance.issuedDate = issuedDate;
  if (copyForm !== undefined) appearance.copyForm = copyForm;
  if (organisation !== undefined) appearance.organisation = organisation;
  if (image !== undefined) appearance.image = image;
  if (placement !== undefined) appearance.placement = placement;
  if (textLines !== undefined) appearance.textLines = textLines;
  const reason = p.optionalString('reason', TEXT) ?? defaults?.reason;
  const location = p.optionalString('location', TEXT) ?? defaults?.location;
  return {
    preset: (presetValue as SignaturePreset | undefined) ?? defaults?.preset ?? 'plain',
    appearance,
    ...(reason !== undefined ? { reason } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

/**
 * The certificate side of a Signer for preparing the CMS; the signature itself comes from the
 * signing service (consent, PIN, journal), never from here.
 */
async function preparingSigner(
  ctx: MethodContext,
  certificate: CertificateInfo,
  scheme: SignatureScheme | undefined,
  chainParam: Buffer[] | undefined,
): Promise<Signer & { scheme: SignatureScheme }> {
  const der = Buffer.from(certificate.certificate, 'base64');
  // The signer's chain from its token and the configured intermediates; `chain` adds to it.
  const chain = await chainForCertificate(ctx.tokens, certificate, trustOf(ctx), chainParam ?? []);
  return {
    certificate: der,
    chain,
    scheme: keySchemeOf(der, scheme),
    sign: () => Promise.reject(new KysoError('INTERNAL_ERROR', { reason: 'sign via the service' })),
  };
}

const trustCache = new WeakMap<object, TrustMaterial>();

/** The configured trust files, read once per config (loadConfig already checked them). */
function trustOf(ctx: MethodContext): TrustMaterial {
  let trust = trustCache.get(ctx.config.trust);
  if (!trust) {
    trust = loadTrust(ctx.config.trust);
    trustCache.set(ctx.config.trust, trust);
  }
  return trust;
}

function chainParam(p: Params, raw: Raw): Buffer[] | undefined {
  const value = raw.chain;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && BASE64.test(v))) {
    throw RpcError.invalidParams(p.field('chain'), 'a list of base64 DER CA certificates');
  }
  return (value as string[]).flatMap((v) => loadCertificates(Buffer.from(v, 'base64')));
}

async function signPrepared(
  ctx: MethodContext,
  method: string,
  certificateId: string,
  scheme: SignatureScheme,
  hash: HashAlgorithm,
  prepared: { name: string; prepared: PreparedPdfSignature }[],
): Promise<Buffer[]> {
  try {
    const { results } = await ctx.signing.sign(ctx, {
      method,
      kind: 'pdf',
      certificateId,
      scheme,
      documents: prepared.map((d) => ({
        name: d.name,
        hashAlgorithm: hash,
        digest: d.prepared.toSign,
      })),
    });
    return results.map((r) => r.signature);
  } catch (error) {
    await Promise.all(prepared.map((d) => d.prepared.abort()));
    throw error;
  }
}

export const pdfMethods: MethodTable = {
  'sign.pdf': async (params, ctx) => {
    const p = new Params(params).only(
      'certificateId',
      'pdf',
      'documentName',
      'hashAlgorithm',
      'scheme',
      'chain',
      'certify',
      'fieldName',
      ...APPEARANCE_MEMBERS,
    );
    const raw = (params ?? {}) as Raw;
    const certificateId = p.certificateId();
    const pdf = pdfBytes(p, raw);
    const name = p.optionalString('documentName', NAME) ?? 'document.pdf';
    const hash = p.hashAlgorithm('hashAlgorithm', 'SHA-256');
    const certify = raw.certify;
    if (certify !== undefined && certify !== 1 && certify !== 2 && certify !== 3) {
      throw RpcError.invalidParams(p.field('certify'), '1, 2 or 3');
    }
    const options = documentOptions(p, raw);
    const fieldName = p.optionalString('fieldName', NAME);
    const certificate = await ctx.tokens.getCertificate(certificateId);
    const signer = await preparingSigner(ctx, certificate, p.optionalScheme(), chainParam(p, raw));
    const prepared = await prepareSignPdf(pdf, {
      signer,
      hash,
      ...options,
      ...(fieldName !== undefined ? { fieldName } : {}),
      ...(certify !== undefined ? { certify: certify as 1 | 2 | 3 } : {}),
    });
    const [signature] = await signPrepared(ctx, 'sign.pdf', certificateId, signer.scheme, hash, [
      { name, prepared },
    ]);
    if (!signature) throw new KysoError('SIGNING_FAILED', { reason: 'no signature returned' });
    const result = await prepared.finish(signature);
    return {
      pdf: (result.bytes ?? Buffer.alloc(0)).toString('base64'),
      fieldName: result.fieldName,
      certificateId,
      certificate: certificate.certificate,
    };
  },

  'sign.pdfs': async (params, ctx) => {
    const p = new Params(params).only(
      'certificateId',
      'items',
      'hashAlgorithm',
      'scheme',
      'chain',
      ...APPEARANCE_MEMBERS,
    );
    const raw = (params ?? {}) as Raw;
    const certificateId = p.certificateId();
    const hash = p.hashAlgorithm('hashAlgorithm', 'SHA-256');
    const defaults = documentOptions(p, raw);
    const rawItems = Array.isArray(raw.items) ? (raw.items as unknown[]) : [];
    const items = p.objects('items', ctx.config.limits.maxBatchItems).map((item, i) => {
      item.only('name', 'pdf', ...APPEARANCE_MEMBERS);
      const itemRaw = (rawItems[i] ?? {}) as Raw;
      return {
        name: item.string('name', NAME),
        pdf: pdfBytes(item, itemRaw),
        options: documentOptions(item, itemRaw, defaults),
      };
    });
    const certificate = await ctx.tokens.getCertificate(certificateId);
    const signer = await preparingSigner(ctx, certificate, p.optionalScheme(), chainParam(p, raw));
    // Prepare every document first; one that cannot be signed fails alone.
    const outcomes: ({ prepared: PreparedPdfSignature } | { error: KysoError })[] = [];
    for (const item of items) {
      try {
        outcomes.push({
          prepared: await prepareSignPdf(item.pdf, { signer, hash, ...item.options }),
        });
      } catch (error) {
        outcomes.push({ error: toKysoError(error) });
      }
    }
    const ready = items.flatMap((item, i) => {
      const o = outcomes[i];
      return o && 'prepared' in o ? [{ name: item.name, prepared: o.prepared }] : [];
    });
    const signatures =
      ready.length > 0
        ? await signPrepared(ctx, 'sign.pdfs', certificateId, signer.scheme, hash, ready)
        : [];
    let k = 0;
    const results = [];
    for (const [i, item] of items.entries()) {
      const o = outcomes[i];
      if (!o || 'error' in o) {
        results.push({
          name: item.name,
          ok: false,
          error: (o?.error ?? toKysoError(null)).toJSON(),
        });
        continue;
      }
      const signature = signatures[k++];
      try {
        if (!signature) throw new KysoError('SIGNING_FAILED', { reason: 'no signature returned' });
        const result = await o.prepared.finish(signature);
        results.push({
          name: item.name,
          ok: true,
          pdf: (result.bytes ?? Buffer.alloc(0)).toString('base64'),
          fieldName: result.fieldName,
        });
      } catch (error) {
        results.push({ name: item.name, ok: false, error: toKysoError(error).toJSON() });
      }
    }
    return { certificateId, certificate: certificate.certificate, items: results };
  },

  'verify.pdf': async (params, ctx) => {
    const p = new Params(params).only('pdf', 'trustAnchors');
    const raw = (params ?? {}) as Raw;
    const pdf = pdfBytes(p, raw);
    const anchors = raw.trustAnchors;
    if (
      anchors !== undefined &&
      (!Array.isArray(anchors) || !anchors.every((a) => typeof a === 'string' && BASE64.test(a)))
    ) {
      throw RpcError.invalidParams(p.field('trustAnchors'), 'a list of base64 certificates');
    }
    if (anchors === undefined) {
      // No trustAnchors: the agency's configured anchors and intermediates.
      const trust = trustOf(ctx);
      return verifyPdf(pdf, { trustAnchors: trust.anchors, intermediates: trust.intermediates });
    }
    return verifyPdf(pdf, {
      trustAnchors: (anchors as string[]).map((a) => Buffer.from(a, 'base64')),
    });
  },
};
