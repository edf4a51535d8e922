/**
 * sign.pdf, sign.pdfs and verify.pdf: params in, the signing pipeline (certificate check, then
 * parse and hash, one approval and one PIN for a batch, journal), the signed PDFs out. A PDF
 * comes inline (`pdf`, base64: small documents) or uploaded in chunks (`documentId`, see
 * documents.ts); a stored document's signed copy is stored too and its id returned.
 */
import { loadCertificates } from '../../cms/index.ts';
import {
  PADES_LEVELS,
  type AppearanceOptions,
  type InputDigest,
  type SignaturePreset,
  type SignPdfResult,
} from '../../pdf/index.ts';
import { placementFrom, type DocumentStore, type PdfDocumentOptions } from '../../signing/index.ts';
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
  type Schema,
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
import { KysoError } from '../../errors/index.ts';
import { documentId, documentStore } from './documents.ts';
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

/**
 * A PDF in base64 (inline, for small documents); bytes without a %PDF- header are
 * PDF_MALFORMED, not a bad encoding; more than limits.maxDocumentBytes is DOCUMENT_TOO_LARGE.
 */
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

/** Exactly one of `pdf` (inline base64) and `documentId` (uploaded in chunks). */
function oneInput<T extends { pdf?: Buffer | undefined; documentId?: string | undefined }>(
  inner: Schema<T>,
): Schema<T> {
  return refine(inner, (value, report) =>
    (value.pdf === undefined) === (value.documentId === undefined)
      ? report.fail(
          {
            vi: 'phải có đúng một trong hai mục `pdf` (base64) hoặc `documentId` (đã tải lên)',
            en: 'must have exactly one of `pdf` (base64) and `documentId` (uploaded)',
          },
          { member: value.pdf === undefined ? 'pdf' : 'documentId' },
        )
      : value,
  );
}

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

const signPdfParams = oneInput(
  object({
    certificateId,
    pdf: optional(pdfBytes),
    documentId: optional(documentId),
    documentName: optional(NAME),
    hashAlgorithm: withDefault(hashAlgorithm, 'SHA-256'),
    scheme: optional(scheme),
    chain: chainParam,
    certify: optional(oneOf([1, 2, 3] as const, { vi: '1, 2 hoặc 3', en: '1, 2 or 3' })),
    fieldName: optional(NAME),
    ...APPEARANCE,
  }),
);

const signPdfsParams = (maxItems: number) =>
  object({
    certificateId,
    items: array(
      oneInput(
        object({
          name: NAME,
          pdf: optional(pdfBytes),
          documentId: optional(documentId),
          ...APPEARANCE,
        }),
      ),
      { min: 1, max: maxItems },
    ),
    hashAlgorithm: withDefault(hashAlgorithm, 'SHA-256'),
    scheme: optional(scheme),
    chain: chainParam,
    /** Names the sign.pdfs.progress notifications of this batch (default: the request id). */
    batchId: optional(
      text(100, { vi: 'mã lô (1-100 ký tự)', en: 'a batch id (1-100 characters)' }),
    ),
    ...APPEARANCE,
  });

const verifyPdfParams = oneInput(
  object({
    pdf: optional(pdfBytes),
    documentId: optional(documentId),
    trustAnchors: optional(array(base64({ vi: 'chứng thư số', en: 'a certificate' }))),
  }),
);

/** Where a document comes from and where its signed copy goes. */
interface Io {
  input: Buffer | string;
  /** A stored document: the result is stored too, under a new id. */
  output?: { id: string; path: string };
  size: number;
  /** A stored document's SHA-256 from its upload: signing does not hash it again. */
  inputDigest?: InputDigest;
}

/** Input and output of one document: inline bytes, or a stored document to a stored result. */
function ioOf(
  store: DocumentStore,
  item: { pdf?: Buffer | undefined; documentId?: string | undefined },
  field: string,
): Io {
  if (item.pdf !== undefined) {
    const { maxDocumentBytes } = store.limits;
    if (item.pdf.length > maxDocumentBytes) {
      throw new KysoError('DOCUMENT_TOO_LARGE', { field, size: item.pdf.length, maxDocumentBytes });
    }
    return { input: item.pdf, size: item.pdf.length };
  }
  const id = item.documentId ?? '';
  const { path, size } = store.pathOf(id);
  const state = store.contentHashOf(id);
  return {
    input: path,
    output: store.outputPath(),
    size,
    ...(state ? { inputDigest: { algorithm: 'SHA-256', size, state } } : {}),
  };
}

/**
 * Room for the signed copies of stored documents (their size plus the signature each), in the
 * store and on the disk, before anything is asked or signed.
 */
function reserveResults(store: DocumentStore, ios: Io[]): void {
  const bytes = ios.reduce((sum, io) => sum + (io.output ? io.size + 64 * 1024 : 0), 0);
  if (bytes > 0) store.checkResultRoom(bytes);
}

/** The reply members for a signed document: inline base64, or the stored result's id. */
async function resultOf(
  store: DocumentStore,
  io: Io,
  result: SignPdfResult,
): Promise<{ pdf: string } | { documentId: string; size: number }> {
  if (!io.output) return { pdf: (result.bytes ?? Buffer.alloc(0)).toString('base64') };
  // The signed file's size is known: no stat per document of a batch.
  const { size } = await store.adopt(io.output, { size: result.size });
  return { documentId: io.output.id, size };
}

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
    // A bad page names placement.page, as --page does on the command line.
    if (page !== undefined) placementFrom({ page }, `${field}.page`);
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
    const { certificateId, certify, fieldName } = p;
    const name = p.documentName ?? 'document.pdf';
    const options = documentOptions(p, 'placement');
    const store = documentStore(ctx);
    const io = ioOf(store, p, 'pdf');
    reserveResults(store, [io]);
    const extraChain = p.chain?.flat();
    const { certificate, result } = await ctx.signing.pdf.signOne(ctx, {
      method: 'sign.pdf',
      certificateId,
      scheme: p.scheme,
      hash: p.hashAlgorithm,
      ...(extraChain ? { extraChain } : {}),
      item: {
        name,
        input: io.input,
        ...(io.output ? { output: io.output.path, durable: false } : {}),
        ...(io.inputDigest ? { inputDigest: io.inputDigest } : {}),
        options: {
          ...options,
          ...(fieldName !== undefined ? { fieldName } : {}),
          ...(certify !== undefined ? { certify } : {}),
        },
      },
    });
    return {
      ...(await resultOf(store, io, result)),
      fieldName: result.fieldName,
      level: result.level ?? 'B-B', // issue 14: the level reached
      warnings: result.warnings,
      certificateId,
      certificate: certificate.certificate,
    };
  },

  'sign.pdfs': async (params, ctx) => {
    const p = readParams(signPdfsParams(ctx.config.limits.maxBatchItems), params);
    const { certificateId } = p;
    const defaults = documentOptions(p, 'placement');
    const store = documentStore(ctx);
    const ios = p.items.map((item, i) => ioOf(store, item, `items[${i}].pdf`));
    reserveResults(store, ios);
    const items = p.items.map((item, i) => {
      const io = ios[i] as Io;
      return {
        name: item.name,
        input: io.input,
        ...(io.output ? { output: io.output.path, durable: false } : {}),
        ...(io.inputDigest ? { inputDigest: io.inputDigest } : {}),
        options: documentOptions(item, `items[${i}].placement`, defaults),
      };
    });
    const extraChain = p.chain?.flat();
    const batchId = p.batchId ?? ctx.requestId;
    const outcome = await ctx.signing.pdf.signMany(ctx, {
      method: 'sign.pdfs',
      certificateId,
      scheme: p.scheme,
      hash: p.hashAlgorithm,
      ...(extraChain ? { extraChain } : {}),
      items,
      onItem: (o, done, total) =>
        ctx.notify?.('sign.pdfs.progress', {
          batchId,
          done,
          total,
          name: o.name,
          ok: o.ok,
          ...(o.ok ? {} : { error: o.error.code }),
        }),
    });
    const results = [];
    for (const [i, o] of outcome.items.entries()) {
      const io = ios[i] as Io;
      if (!o.ok) {
        results.push({ name: o.name, ok: false, error: o.error.toJSON() });
        continue;
      }
      results.push({
        name: o.name,
        ok: true,
        ...(await resultOf(store, io, o.result)),
        fieldName: o.result.fieldName,
        level: o.result.level ?? 'B-B', // issue 14
        warnings: o.result.warnings,
      });
    }
    return {
      certificateId,
      certificate: outcome.certificate.certificate,
      batchId,
      items: results,
    };
  },

  'verify.pdf': async (params, ctx) => {
    const p = readParams(verifyPdfParams, params);
    const store = documentStore(ctx);
    const { input } =
      p.pdf !== undefined
        ? ioOf(store, p, 'pdf')
        : { input: store.pathOf(p.documentId ?? '').path };
    // No trustAnchors: the agency's configured anchors and intermediates.
    return ctx.signing.pdf.verify(input, p.trustAnchors);
  },
};
