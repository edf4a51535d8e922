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
import {
  array,
  int,
  mustBe,
  number,
  object,
  oneOf,
  optional,
  refine,
  string,
  withDefault,
  type Invalid,
  type ObjectOf,
  type Text,
} from '../../validation/index.ts';
import {
  base64,
  certificateId,
  DOCUMENT_NAME,
  hashAlgorithm,
  readParams,
  scheme,
  stringList,
  text,
} from '../params.ts';
import type { MethodContext, MethodTable } from './registry.ts';

const NAME = text(500, DOCUMENT_NAME);
const TEXT = text(500, { vi: 'văn bản (1-500 ký tự)', en: 'text (1-500 characters)' });
const PRESETS: readonly SignaturePreset[] = [
  'approval',
  'issuance',
  'attachment',
  'copy',
  'plain',
  'custom',
];
const PLACEMENT: Text = {
  vi: '{ "page": N, "rect": [x1, y1, x2, y2] } hoặc { "anchor": "văn bản", "page"?: N }',
  en: '{ "page": N, "rect": [x1, y1, x2, y2] } or { "anchor": "text", "page"?: N }',
};

/** A PDF in base64; bytes without a %PDF- header are PDF_MALFORMED, not a bad encoding. */
const pdfBytes = refine(base64({ vi: 'tệp PDF', en: 'the PDF' }), (pdf, report) =>
  pdf.subarray(0, 1024).indexOf('%PDF-') < 0
    ? report.fail(
        {
          vi: 'phải là một tệp PDF (không có phần đầu %PDF-)',
          en: 'must be a PDF file (no %PDF- header)',
        },
        { reason: 'PDF_MALFORMED' },
      )
    : pdf,
);

const placementOf = refine(
  object(
    {
      page: optional(int(1, 1_000_000, { vi: 'số trang, tính từ 1', en: 'a page number from 1' })),
      anchor: optional(string()),
      rect: optional(
        array(number(-Number.MAX_VALUE, Number.MAX_VALUE, { vi: 'một số', en: 'a number' })),
      ),
    },
    { expected: PLACEMENT },
  ),
  (v, report): NonNullable<AppearanceOptions['placement']> | Invalid => {
    const pageIndex = v.page === undefined ? undefined : v.page - 1;
    if (v.anchor !== undefined && v.anchor.length > 0 && v.rect === undefined) {
      return pageIndex === undefined ? { anchor: v.anchor } : { anchor: v.anchor, page: pageIndex };
    }
    if (v.rect?.length === 4) {
      return { page: pageIndex ?? 0, rect: v.rect as [number, number, number, number] };
    }
    return report.fail(mustBe(PLACEMENT));
  },
  PLACEMENT,
);

/** Appearance and signature-dictionary members accepted per document and for the batch. */
const APPEARANCE = {
  preset: optional(oneOf(PRESETS)),
  docNumber: optional(TEXT),
  issuedDate: optional(TEXT),
  copyForm: optional(TEXT),
  organisation: optional(TEXT),
  image: optional(base64({ vi: 'ảnh PNG', en: 'a PNG image' })),
  placement: optional(placementOf),
  textLines: optional(stringList()),
  reason: optional(TEXT),
  location: optional(TEXT),
};
type AppearanceParams = ObjectOf<typeof APPEARANCE>;

const certificates = (what: Text) =>
  optional(array(refine(base64(what), (der) => loadCertificates(der))));
const chainParam = certificates({ vi: 'chứng thư CA dạng DER', en: 'a DER CA certificate' });

const signPdfParams = object({
  certificateId,
  pdf: pdfBytes,
  documentName: optional(NAME),
  hashAlgorithm: withDefault(hashAlgorithm, 'SHA-256'),
  scheme: optional(scheme),
  chain: chainParam,
  certify: optional(oneOf([1, 2, 3] as const, { vi: '1, 2 hoặc 3', en: '1, 2 or 3' })),
  fieldName: optional(NAME),
  ...APPEARANCE,
});

const signPdfsParams = (maxItems: number) =>
  object({
    certificateId,
    items: array(object({ name: NAME, pdf: pdfBytes, ...APPEARANCE }), {
      min: 1,
      max: maxItems,
    }),
    hashAlgorithm: withDefault(hashAlgorithm, 'SHA-256'),
    scheme: optional(scheme),
    chain: chainParam,
    ...APPEARANCE,
  });

const verifyPdfParams = object({
  pdf: pdfBytes,
  trustAnchors: optional(array(base64({ vi: 'chứng thư số', en: 'a certificate' }))),
});

interface DocumentOptions {
  preset: SignaturePreset;
  appearance: AppearanceOptions;
  reason?: string;
  location?: string;
}

/** The appearance members of one object (already read), over the batch defaults. */
function documentOptions(raw: AppearanceParams, defaults?: DocumentOptions): DocumentOptions {
  const appearance: AppearanceOptions = { ...defaults?.appearance };
  if (raw.docNumber !== undefined) appearance.docNumber = raw.docNumber;
  if (raw.issuedDate !== undefined) appearance.issuedDate = raw.issuedDate;
  if (raw.copyForm !== undefined) appearance.copyForm = raw.copyForm;
  if (raw.organisation !== undefined) appearance.organisation = raw.organisation;
  if (raw.image !== undefined) appearance.image = raw.image;
  if (raw.placement !== undefined) appearance.placement = raw.placement;
  if (raw.textLines !== undefined) appearance.textLines = raw.textLines;
  const reason = raw.reason ?? defaults?.reason;
  const location = raw.location ?? defaults?.location;
  return {
    preset: raw.preset ?? defaults?.preset ?? 'plain',
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
    const p = readParams(signPdfParams, params);
    const { certificateId, pdf, certify, fieldName } = p;
    const name = p.documentName ?? 'document.pdf';
    const hash = p.hashAlgorithm;
    const options = documentOptions(p);
    const certificate = await ctx.tokens.getCertificate(certificateId);
    const signer = await preparingSigner(ctx, certificate, p.scheme, p.chain?.flat());
    const prepared = await prepareSignPdf(pdf, {
      signer,
      hash,
      ...options,
      ...(fieldName !== undefined ? { fieldName } : {}),
      ...(certify !== undefined ? { certify } : {}),
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
    const p = readParams(signPdfsParams(ctx.config.limits.maxBatchItems), params);
    const { certificateId } = p;
    const hash = p.hashAlgorithm;
    const defaults = documentOptions(p);
    const items = p.items.map((item) => ({
      name: item.name,
      pdf: item.pdf,
      options: documentOptions(item, defaults),
    }));
    const certificate = await ctx.tokens.getCertificate(certificateId);
    const signer = await preparingSigner(ctx, certificate, p.scheme, p.chain?.flat());
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
    const { pdf, trustAnchors: anchors } = readParams(verifyPdfParams, params);
    if (anchors === undefined) {
      // No trustAnchors: the agency's configured anchors and intermediates.
      const trust = trustOf(ctx);
      return verifyPdf(pdf, { trustAnchors: trust.anchors, intermediates: trust.intermediates });
    }
    return verifyPdf(pdf, { trustAnchors: anchors });
  },
};
