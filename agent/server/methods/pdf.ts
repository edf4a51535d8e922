/**
 * sign.pdf, sign.pdfs and verify.pdf: params in, the signing pipeline (certificate check, then
 * parse and hash, one approval and one PIN for a batch, journal), the signed PDFs out as base64.
 */
import { loadCertificates } from '../../cms/index.ts';
import { PADES_LEVELS, type AppearanceOptions, type SignaturePreset } from '../../pdf/index.ts';
import { placementFrom, type PdfDocumentOptions } from '../../signing/index.ts';
import {
  array,
  int,
  number,
  object,
  oneOf,
  optional,
  refine,
  string,
  withDefault,
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
import type { MethodTable } from './types.ts';

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

/** Placement members, type-checked here; the rule itself is the pipeline's `placementFrom`. */
const placementOf = object(
  {
    page: optional(
      int(-1_000_000, 1_000_000, { vi: 'số trang, tính từ 1', en: 'a page number from 1' }),
    ),
    anchor: optional(string()),
    rect: optional(
      array(number(-Number.MAX_VALUE, Number.MAX_VALUE, { vi: 'một số', en: 'a number' }), {
        min: 4,
        max: 4,
      }),
    ),
  },
  { expected: PLACEMENT },
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
  level: optional(oneOf(PADES_LEVELS)), // issue 14: PAdES level, per document or batch
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

type DocumentOptions = Omit<PdfDocumentOptions, 'fieldName' | 'certify'>;

/** The appearance members of one object (already read), over the batch defaults. */
function documentOptions(
  raw: AppearanceParams,
  field: string,
  defaults?: DocumentOptions,
): DocumentOptions {
  const appearance: AppearanceOptions = { ...defaults?.appearance };
  if (raw.docNumber !== undefined) appearance.docNumber = raw.docNumber;
  if (raw.issuedDate !== undefined) appearance.issuedDate = raw.issuedDate;
  if (raw.copyForm !== undefined) appearance.copyForm = raw.copyForm;
  if (raw.organisation !== undefined) appearance.organisation = raw.organisation;
  if (raw.image !== undefined) appearance.image = raw.image;
  if (raw.placement !== undefined) {
    const { page, anchor, rect } = raw.placement;
    const placement = placementFrom(
      {
        ...(page !== undefined ? { page } : {}),
        ...(anchor !== undefined && anchor.length > 0 ? { anchor } : {}),
        ...(rect !== undefined ? { rect: rect as [number, number, number, number] } : {}),
      },
      page !== undefined && page < 1 ? `${field}.page` : field,
    );
    if (placement !== undefined) appearance.placement = placement;
  }
  if (raw.textLines !== undefined) appearance.textLines = raw.textLines;
  const reason = raw.reason ?? defaults?.reason;
  const location = raw.location ?? defaults?.location;
  const level = raw.level ?? defaults?.level; // issue 14
  return {
    ...(level !== undefined ? { level } : {}),
    preset: raw.preset ?? defaults?.preset ?? 'plain',
    appearance,
    ...(reason !== undefined ? { reason } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

export const pdfMethods: MethodTable = {
  'sign.pdf': async (params, ctx) => {
    const p = readParams(signPdfParams, params);
    const { certificateId, pdf, certify, fieldName } = p;
    const name = p.documentName ?? 'document.pdf';
    const options = documentOptions(p, 'placement');
    const extraChain = p.chain?.flat();
    const { certificate, result } = await ctx.signing.pdf.signOne(ctx, {
      method: 'sign.pdf',
      certificateId,
      scheme: p.scheme,
      hash: p.hashAlgorithm,
      ...(extraChain ? { extraChain } : {}),
      item: {
        name,
        input: pdf,
        options: {
          ...options,
          ...(fieldName !== undefined ? { fieldName } : {}),
          ...(certify !== undefined ? { certify } : {}),
        },
      },
    });
    return {
      pdf: (result.bytes ?? Buffer.alloc(0)).toString('base64'),
      fieldName: result.fieldName,
      level: result.level ?? 'B-B', // issue 14: the level reached
      certificateId,
      certificate: certificate.certificate,
    };
  },

  'sign.pdfs': async (params, ctx) => {
    const p = readParams(signPdfsParams(ctx.config.limits.maxBatchItems), params);
    const { certificateId } = p;
    const defaults = documentOptions(p, 'placement');
    const items = p.items.map((item, i) => ({
      name: item.name,
      input: item.pdf,
      options: documentOptions(item, `items[${i}].placement`, defaults),
    }));
    const extraChain = p.chain?.flat();
    const outcome = await ctx.signing.pdf.signMany(ctx, {
      method: 'sign.pdfs',
      certificateId,
      scheme: p.scheme,
      hash: p.hashAlgorithm,
      ...(extraChain ? { extraChain } : {}),
      items,
    });
    return {
      certificateId,
      certificate: outcome.certificate.certificate,
      items: outcome.items.map((o) =>
        o.ok
          ? {
              name: o.name,
              ok: true,
              pdf: (o.result.bytes ?? Buffer.alloc(0)).toString('base64'),
              fieldName: o.result.fieldName,
              level: o.result.level ?? 'B-B', // issue 14
            }
          : { name: o.name, ok: false, error: o.error.toJSON() },
      ),
    };
  },

  'verify.pdf': async (params, ctx) => {
    const { pdf, trustAnchors } = readParams(verifyPdfParams, params);
    // No trustAnchors: the agency's configured anchors and intermediates.
    return ctx.signing.pdf.verify(pdf, trustAnchors);
  },
};
