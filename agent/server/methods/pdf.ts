/**
 * sign.pdf, sign.pdfs and verify.pdf: params in, the signing pipeline (certificate check, then
 * parse and hash, one approval and one PIN for a batch, journal), the signed PDFs out as base64.
 */
import { loadCertificates } from '../../cms/index.ts';
import type { AppearanceOptions, SignaturePreset } from '../../pdf/index.ts';
import { placementFrom, type PdfDocumentOptions } from '../../signing/index.ts';
import { RpcError } from '../jsonrpc.ts';
import { Params } from '../params.ts';
import type { MethodTable } from './registry.ts';

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
  if (page !== undefined && !Number.isInteger(page)) {
    throw RpcError.invalidParams(`${field}.page`, 'a page number from 1');
  }
  const anchor = typeof v.anchor === 'string' && v.anchor.length > 0 ? v.anchor : undefined;
  const rect = v.rect;
  const validRect =
    Array.isArray(rect) &&
    rect.length === 4 &&
    rect.every((n) => typeof n === 'number' && Number.isFinite(n));
  if ((rect !== undefined && !validRect) || (rect === undefined && anchor === undefined)) {
    throw RpcError.invalidParams(field, what);
  }
  // The rule (page from 1, rect or anchor but not both) is the pipeline's, for every door.
  const spec = {
    ...(page !== undefined ? { page: page as number } : {}),
    ...(validRect ? { rect: rect as [number, number, number, number] } : {}),
    ...(anchor !== undefined ? { anchor } : {}),
  };
  const pageProblem = page !== undefined && (page as number) < 1;
  return placementFrom(spec, pageProblem ? `${field}.page` : field);
}

type DocumentOptions = Omit<PdfDocumentOptions, 'fieldName' | 'certify'>;

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

function chainParam(p: Params, raw: Raw): Buffer[] | undefined {
  const value = raw.chain;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && BASE64.test(v))) {
    throw RpcError.invalidParams(p.field('chain'), 'a list of base64 DER CA certificates');
  }
  return (value as string[]).flatMap((v) => loadCertificates(Buffer.from(v, 'base64')));
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
    const scheme = p.optionalScheme();
    const extraChain = chainParam(p, raw);
    const { certificate, result } = await ctx.signing.pdf.signOne(ctx, {
      method: 'sign.pdf',
      certificateId,
      scheme,
      hash,
      ...(extraChain ? { extraChain } : {}),
      item: {
        name,
        input: pdf,
        options: {
          ...options,
          ...(fieldName !== undefined ? { fieldName } : {}),
          ...(certify !== undefined ? { certify: certify as 1 | 2 | 3 } : {}),
        },
      },
    });
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
        input: pdfBytes(item, itemRaw),
        options: documentOptions(item, itemRaw, defaults),
      };
    });
    const scheme = p.optionalScheme();
    const extraChain = chainParam(p, raw);
    const outcome = await ctx.signing.pdf.signMany(ctx, {
      method: 'sign.pdfs',
      certificateId,
      scheme,
      hash,
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
            }
          : { name: o.name, ok: false, error: o.error.toJSON() },
      ),
    };
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
    // No trustAnchors: the agency's configured anchors and intermediates.
    return ctx.signing.pdf.verify(
      pdf,
      anchors === undefined
        ? undefined
        : (anchors as string[]).map((a) => Buffer.from(a, 'base64')),
    );
  },
};
