/**
 * Bounds on what a page can put in a journal record. Everything a web app sends is untrusted
 * (the JSON-RPC id becomes the requestId, document names, certificate ids): each field is cut
 * to a fixed length with a visible marker, and a record that is still too large keeps its
 * first documents and a SHA-256 over all of them (documentsOmitted, documentsDigest).
 */
import { createHash } from 'node:crypto';

/** Longest requestId kept as is; longer ones keep a prefix, their length and a hash. */
export const MAX_REQUEST_ID = 128;
const FIELD_LIMITS = {
  origin: 256,
  method: 64,
  certificateId: 128,
  certificateSubject: 1024,
  tokenLabel: 256,
  errorCode: 64,
  detail: 256,
  name: 256,
  digestHex: 256,
} as const;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Cuts text to at most max characters, ending with "…[+N]" (N characters cut). */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `…[+${text.length - max}]`;
  let keep = Math.max(0, max - marker.length - 8); // room for the count growing
  // Do not split a surrogate pair.
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--;
  return text.slice(0, keep) + `…[+${text.length - keep}]`;
}

/** A requestId of at most MAX_REQUEST_ID characters: short ones unchanged. */
export function boundRequestId(id: string): string {
  if (id.length <= MAX_REQUEST_ID) return id;
  let keep = 48;
  const code = id.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--;
  return `${id.slice(0, keep)}…[${id.length} chars, sha256:${sha256(id).slice(0, 32)}]`;
}

export interface BoundableDocument {
  name: string;
  hashAlgorithm: string;
  digestHex: string;
}

export interface BoundableRecord {
  requestId: string;
  origin: string;
  method: string;
  certificateId: string | null;
  certificateSubject: string | null;
  tokenLabel: string | null;
  documents: BoundableDocument[];
  errorCode: string | null;
  detail?: string;
  documentsOmitted?: number;
  documentsDigest?: string;
}

/**
 * An upper bound of the UTF-8 size of a value's JSON: a UTF-16 unit takes at most 6 bytes
 * (an escape like \u001f). Far cheaper than JSON.stringify for the records of every signature,
 * which are all far below the limit.
 */
export function jsonSizeBound(value: unknown): number {
  if (typeof value === 'string') return 6 * value.length + 2;
  if (typeof value !== 'object' || value === null) return 24;
  let size = 2;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) size += jsonSizeBound(item) + 1;
    return size;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) size += 6 * key.length + 4 + jsonSizeBound(item);
  }
  return size;
}

function cutNullable(text: string | null, max: number): string | null {
  return text === null ? null : cut(text, max);
}

/** The record with every field bounded and its JSON at most maxBytes (roughly: fields first). */
export function boundRecord<R extends BoundableRecord>(record: R, maxBytes: number): R {
  const documents = record.documents.map((d) => ({
    ...d,
    name: cut(d.name, FIELD_LIMITS.name),
    digestHex: cut(d.digestHex, FIELD_LIMITS.digestHex),
  }));
  const bounded: R = {
    ...record,
    requestId: boundRequestId(record.requestId),
    origin: cut(record.origin, FIELD_LIMITS.origin),
    method: cut(record.method, FIELD_LIMITS.method),
    certificateId: cutNullable(record.certificateId, FIELD_LIMITS.certificateId),
    certificateSubject: cutNullable(record.certificateSubject, FIELD_LIMITS.certificateSubject),
    tokenLabel: cutNullable(record.tokenLabel, FIELD_LIMITS.tokenLabel),
    errorCode: cutNullable(record.errorCode, FIELD_LIMITS.errorCode),
    ...(record.detail === undefined ? {} : { detail: cut(record.detail, FIELD_LIMITS.detail) }),
    documents,
  };
  const budget = maxBytes - 512; // time, prev, omitted count and digest
  if (jsonSizeBound(bounded) <= budget) return bounded;
  let size = Buffer.byteLength(JSON.stringify(bounded), 'utf8');
  if (size <= budget) return bounded;
  // Too many documents: keep the first ones, and a digest over all of them for later checks.
  const all = JSON.stringify(documents);
  let kept = documents.length;
  while (kept > 0 && size > budget) {
    kept--;
    size -= Buffer.byteLength(JSON.stringify(documents[kept]), 'utf8') + 1;
  }
  return {
    ...bounded,
    documents: documents.slice(0, kept),
    documentsOmitted: documents.length - kept,
    documentsDigest: sha256(all),
  };
}
