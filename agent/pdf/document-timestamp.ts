/**
 * PAdES B-LTA (ETSI EN 319 142-1 §5.5): a document timestamp, an invisible signature field
 * whose value is /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161 and whose /Contents is an RFC
 * 3161 TimeStampToken over the byte ranges, added as one more incremental update (after the
 * DSS). A certification with DocMDP P=1 forbids it (PDF_CERTIFIED_NO_CHANGES); P=2 and P=3
 * allow it (a new signature field).
 */
import { createHash } from 'node:crypto';
import { HASH_NODE } from '../cms/index.ts';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm } from '../tokens/index.ts';
import { readForm } from './fields.ts';
import { IncrementBuilder } from './increment.ts';
import { PdfRaw, dict, name } from './objects.ts';
import { PdfReader } from './reader.ts';
import { BYTE_RANGE_PLACEHOLDER, writeByteRange, writeContents } from './signature-dict.ts';
import { openSource } from './source.ts';
import { addSignatureField, docMdpPermission, invisibleAppearance } from './widgets.ts';

/** Room for a TimeStampToken with the TSA's chain (a government TSA's is about 4–6 KB). */
export const DOCUMENT_TIMESTAMP_RESERVE = 16 * 1024;

export interface DocumentTimestampOptions {
  /** The TSA: returns a verified TimeStampToken (DER ContentInfo) over `digest`. */
  stamp(digest: Buffer, hash: HashAlgorithm): Promise<Buffer>;
  hash?: HashAlgorithm;
  fieldName?: string;
  reserveBytes?: number;
}

/** Returns `pdf` with a document timestamp as a new revision, and the field's name. */
export async function addDocumentTimestamp(
  pdf: Buffer,
  options: DocumentTimestampOptions,
): Promise<{ bytes: Buffer; fieldName: string }> {
  const hash = options.hash ?? 'SHA-256';
  const reserve = options.reserveBytes ?? DOCUMENT_TIMESTAMP_RESERVE;
  const source = await openSource(pdf);
  let increment: Buffer;
  let fieldName: string;
  let ranges: ReturnType<typeof writeByteRange>;
  try {
    const reader = await PdfReader.open(source);
    const builder = new IncrementBuilder(reader);
    const catalog = await reader.catalog();
    const pages = await reader.pages();
    const form = await readForm(reader, catalog.dict);
    const perms = await reader.resolveDict(catalog.dict.get('Perms'));
    const docMdp = await reader.resolveDict(perms?.get('DocMDP'));
    if (docMdp && (await docMdpPermission(reader, docMdp)) === 1) {
      throw new KysoError('PDF_CERTIFIED_NO_CHANGES');
    }
    fieldName = options.fieldName ?? freeName(form.names);
    const sigId = builder.allocate();
    const fieldId = builder.allocate();
    builder.add(
      sigId,
      dict({
        Type: name('DocTimeStamp'),
        Filter: name('Adobe.PPKLite'),
        SubFilter: name('ETSI.RFC3161'),
        ByteRange: new PdfRaw(BYTE_RANGE_PLACEHOLDER),
        Contents: new PdfRaw('<' + '0'.repeat(reserve * 2) + '>'),
      }),
    );
    await addSignatureField(reader, builder, {
      catalog,
      pages,
      form,
      perms,
      target: undefined,
      fieldName,
      fieldId,
      sigId,
      main: invisibleAppearance(builder),
      placed: null,
      certify: undefined,
    });
    increment = await builder.build();
    ranges = writeByteRange(increment, sigId, reserve, pdf.length);
  } finally {
    await source.close();
  }
  const digest = createHash(HASH_NODE[hash])
    .update(pdf)
    .update(increment.subarray(0, ranges.hexStart))
    .update(increment.subarray(ranges.hexEnd))
    .digest();
  const token = await options.stamp(digest, hash);
  writeContents(increment, ranges, token, reserve);
  return { bytes: Buffer.concat([pdf, increment]), fieldName };
}

function freeName(names: ReadonlySet<string>): string {
  for (let n = 1; ; n++) if (!names.has(`DocTimeStamp${n}`)) return `DocTimeStamp${n}`;
}
