/**
 * The VGCA plugin's request shapes, as integrators send them, read leniently (the plugin's
 * own parsing is not public): a JSON string or an object, members with their usual casing.
 */
import { VgcaError } from './status.ts';

export interface MetaDataEntry {
  Key: string;
  Value: string;
}

/** What document calls (SignApproved, SignIssued, ...) send. */
export interface DocumentRequest {
  FileUploadHandler: string;
  SessionId: string;
  JWTToken: string;
  /** URL of the PDF; empty: the user picks a local file. */
  FileName: string;
  MetaData: MetaDataEntry[];
  DocNumber: string;
  /** As sent: ISO 8601 with offset, a JSON-serialised Date, YYYY-MM-DD or dd/MM/yyyy. */
  IssuedDate: string;
  /** Comment text (vgca_comment), when the page sends one. */
  Comment: string;
}

export interface BatchFile {
  FileID: string | number;
  FileName: string;
  URL: string;
}

export interface BatchRequest {
  FileUploadHandler: string;
  SessionId: string;
  JWTToken: string;
  MetaData: MetaDataEntry[];
  Files: BatchFile[];
}

type Raw = Record<string, unknown>;

/** Parses a JSON string (or takes an object) into an object; throws VGCA_BAD_PARAMS. */
export function rawParams(input: unknown): Raw {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new VgcaError('VGCA_BAD_PARAMS', 'not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VgcaError('VGCA_BAD_PARAMS', 'expected a JSON object');
  }
  return value as Raw;
}

/** A member by its usual name, case-insensitively (integrators spell `JwtToken`, `sessionId`). */
function member(raw: Raw, name: string): unknown {
  if (name in raw) return raw[name];
  const lower = name.toLowerCase();
  const key = Object.keys(raw).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : raw[key];
}

function text(raw: Raw, name: string): string {
  const value = member(raw, name);
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new VgcaError('VGCA_BAD_PARAMS', `${name} must be a string`);
}

function metaData(raw: Raw): MetaDataEntry[] {
  const value = member(raw, 'MetaData');
  if (value === undefined || value === null || value === '') return [];
  if (!Array.isArray(value)) throw new VgcaError('VGCA_BAD_PARAMS', 'MetaData must be a list');
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) {
      throw new VgcaError('VGCA_BAD_PARAMS', `MetaData[${i}] must be {Key, Value}`);
    }
    const e = entry as Raw;
    const key = text(e, 'Key');
    if (!key) throw new VgcaError('VGCA_BAD_PARAMS', `MetaData[${i}].Key is empty`);
    return { Key: key, Value: text(e, 'Value') };
  });
}

export function documentRequest(input: unknown): DocumentRequest {
  const raw = rawParams(input);
  return {
    FileUploadHandler: text(raw, 'FileUploadHandler'),
    SessionId: text(raw, 'SessionId'),
    JWTToken: text(raw, 'JWTToken'),
    FileName: text(raw, 'FileName'),
    MetaData: metaData(raw),
    DocNumber: text(raw, 'DocNumber'),
    IssuedDate: text(raw, 'IssuedDate'),
    Comment: text(raw, 'Comment'),
  };
}

export function batchRequest(input: unknown): BatchRequest {
  const raw = rawParams(input);
  const files = member(raw, 'Files');
  if (!Array.isArray(files) || files.length === 0) {
    throw new VgcaError('VGCA_BAD_PARAMS', 'Files must be a non-empty list');
  }
  return {
    FileUploadHandler: text(raw, 'FileUploadHandler'),
    SessionId: text(raw, 'SessionId'),
    JWTToken: text(raw, 'JWTToken'),
    MetaData: metaData(raw),
    Files: files.map((entry: unknown, i) => {
      if (typeof entry !== 'object' || entry === null) {
        throw new VgcaError('VGCA_BAD_PARAMS', `Files[${i}] must be {FileID, FileName, URL}`);
      }
      const e = entry as Raw;
      const id = member(e, 'FileID');
      const url = text(e, 'URL') || text(e, 'FileName');
      if (!url) throw new VgcaError('VGCA_BAD_PARAMS', `Files[${i}] has no URL`);
      return {
        FileID: typeof id === 'number' || typeof id === 'string' ? id : i,
        FileName: text(e, 'FileName') || url,
        URL: url,
      };
    }),
  };
}

const VIETNAM_OFFSET_MS = 7 * 3600_000; // UTC+07:00, no daylight saving

/** YYYY-MM-DD of an instant, in Vietnam time. */
export function vietnamDate(instant: Date): string {
  return new Date(instant.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * IssuedDate → YYYY-MM-DD in Vietnam time. Accepts "2019-03-20T10:00:00+07:00", a JS Date as
 * JSON.stringify writes it ("2019-03-20T03:00:00.000Z"), "2019-03-20" and "20/03/2019".
 * Empty: today (Vietnam time), as the document is being issued now.
 */
export function issuedDate(value: string, now: Date = new Date()): string {
  const v = value.trim();
  if (!v) return vietnamDate(now);
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (plain) return checkedDate(Number(plain[1]), Number(plain[2]), Number(plain[3]), value);
  const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (vn) return checkedDate(Number(vn[3]), Number(vn[2]), Number(vn[1]), value);
  // Only full date-times with a zone: a zone-less time would be read in the PC's zone.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const instant = new Date(v);
    if (!Number.isNaN(instant.getTime())) return vietnamDate(instant);
  }
  throw new VgcaError('VGCA_BAD_PARAMS', `IssuedDate "${value}" is not a date`);
}

function checkedDate(y: number, m: number, d: number, original: string): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new VgcaError('VGCA_BAD_PARAMS', `IssuedDate "${original}" is not a date`);
  }
  return date.toISOString().slice(0, 10);
}

/** A document name for the consent dialog and the journal: ≤ 200 characters, no controls. */
export function displayName(name: string, fallback = 'document.pdf'): string {
  const cleaned = [...name]
    .filter((ch) => {
      const c = ch.codePointAt(0) ?? 0;
      const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
      const bidi =
        c === 0x200e ||
        c === 0x200f ||
        (c >= 0x202a && c <= 0x202e) ||
        (c >= 0x2066 && c <= 0x2069);
      return !control && !bidi;
    })
    .join('');
  const trimmed = cleaned.trim().slice(0, 200);
  return trimmed || fallback;
}

/** The file name part of a URL ("Quyết định 12.pdf" for ".../Quy%E1%BA%BFt...pdf?x=1"). */
export function nameFromUrl(url: string): string {
  let path = url;
  try {
    path = new URL(url, 'http://x.invalid/').pathname;
  } catch {
    // keep the raw text
  }
  const last = path.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
