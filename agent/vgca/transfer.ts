/**
 * The page side of the plugin's file handling: download the PDF with the page's own
 * credentials, upload the signed PDF to FileUploadHandler, read the handler's reply. The agent
 * makes no outbound connection: everything here runs in the page, under its origin's rules.
 */
import { nameFromUrl, type MetaDataEntry } from './params.ts';
import { documentTooLarge, VgcaError } from './status.ts';

/** Bytes on a plain ArrayBuffer (what fetch, Blob and WebCrypto take). */
export type Bytes = Uint8Array<ArrayBuffer>;

export interface Transfer {
  /** Bearer token for Authorization (JWTToken), when the page gave one. */
  jwt: string;
  sessionId: string;
}

function authHeaders(t: Transfer): Record<string, string> {
  return t.jwt ? { Authorization: `Bearer ${t.jwt}` } : {};
}

/** filename*=UTF-8''… or filename="…" from a Content-Disposition header. */
export function dispositionName(header: string | null): string {
  if (!header) return '';
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(header);
  return (plain?.[1] ?? plain?.[2] ?? '').trim();
}

export interface Downloaded {
  bytes: Bytes;
  name: string;
}

/**
 * The body, refused as DOCUMENT_TOO_LARGE as soon as it is known to exceed `maxBytes`: at the
 * headers when Content-Length says so (an uncompressed body: a compressed one's length is not
 * the file's), else while it streams in, so a page never holds a 1 GB file the agent refuses.
 */
async function readBody(response: Response, maxBytes: number | undefined): Promise<Bytes> {
  if (maxBytes === undefined || !response.body) {
    return new Uint8Array(await response.arrayBuffer());
  }
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  const identity = (response.headers.get('Content-Encoding') ?? 'identity') === 'identity';
  if (identity && Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw documentTooLarge(declared, maxBytes);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      const known = identity && Number.isFinite(declared);
      throw documentTooLarge(known ? declared : total, maxBytes, !known);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Downloads with the page's credentials; beyond `maxBytes` (the agent's limit) DOCUMENT_TOO_LARGE. */
export async function download(url: string, t: Transfer, maxBytes?: number): Promise<Downloaded> {
  let response: Response;
  try {
    response = await fetch(url, {
      credentials: 'include',
      cache: 'no-store',
      headers: authHeaders(t),
    });
  } catch (error) {
    throw new VgcaError('VGCA_DOWNLOAD_FAILED', error instanceof Error ? error.message : 'network');
  }
  if (!response.ok) {
    throw new VgcaError('VGCA_DOWNLOAD_FAILED', `HTTP ${response.status}`, { url });
  }
  const bytes = await readBody(response, maxBytes);
  const name = dispositionName(response.headers.get('Content-Disposition')) || nameFromUrl(url);
  return { bytes, name };
}

/** Name of the multipart field that carries the signed file (the plugin's is unconfirmed). */
export const DEFAULT_UPLOAD_FIELD = 'uploadfile';

export interface UploadReply {
  /** HTTP status of the handler's reply. */
  httpStatus: number;
  /** The reply's body as text. */
  body: string;
}

export async function upload(
  handler: string,
  file: { bytes: Bytes; name: string },
  t: Transfer & { fieldName: string; metaData: MetaDataEntry[] },
): Promise<UploadReply> {
  const form = new FormData();
  form.append(t.fieldName, new Blob([file.bytes], { type: 'application/pdf' }), file.name);
  if (t.sessionId) form.append('SessionId', t.sessionId);
  for (const { Key, Value } of t.metaData) form.append(Key, Value);
  let response: Response;
  try {
    response = await fetch(handler, {
      method: 'POST',
      body: form,
      credentials: 'include',
      cache: 'no-store',
      headers: authHeaders(t),
    });
  } catch (error) {
    throw new VgcaError('VGCA_UPLOAD_FAILED', error instanceof Error ? error.message : 'network');
  }
  const body = await response.text();
  if (!response.ok) {
    throw new VgcaError('VGCA_UPLOAD_FAILED', `HTTP ${response.status}`, {
      handler,
      httpStatus: response.status,
      body: body.slice(0, 500),
    });
  }
  return { httpStatus: response.status, body };
}

/**
 * The callback's object for a handler reply: a JSON object that has Status is the handler's
 * own plugin-shaped answer and passes through (FileName filled in when missing); anything else
 * (plain text, other JSON) becomes FileServer, as integrators read it.
 */
export function handlerResult(reply: UploadReply, fileName: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(reply.body);
  } catch {
    json = undefined;
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'Status' in json) {
    const obj = json as Record<string, unknown>;
    return { ...obj, FileName: obj.FileName ?? fileName, Message: obj.Message ?? '' };
  }
  return { Status: 0, Message: '', FileName: fileName, FileServer: reply.body.trim() };
}

interface FileInputLike {
  type: string;
  accept: string;
  files: ArrayLike<Blob & { name: string }> | null;
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void;
  click(): void;
}

/**
 * FileName "": the plugin opens a file dialog. Must start in the user's click (the browser
 * requires a user activation for the picker), so it is called synchronously by the globals.
 * A file over `limit` (the agent's maxDocumentBytes, looked up meanwhile) is refused by its
 * size, before the page reads a byte of it.
 */
export function pickLocalPdf(limit: Promise<number | undefined>): Promise<Downloaded> {
  const doc = (globalThis as { document?: { createElement(tag: string): unknown } }).document;
  if (!doc) return Promise.reject(new VgcaError('VGCA_BAD_PARAMS', 'FileName is empty'));
  const input = doc.createElement('input') as FileInputLike;
  input.type = 'file';
  input.accept = 'application/pdf,.pdf';
  const picked = new Promise<Downloaded>((resolve, reject) => {
    input.addEventListener(
      'change',
      () => {
        const file = input.files?.[0];
        if (!file) return reject(new VgcaError('USER_CANCELLED'));
        limit
          .then(async (max) => {
            if (max !== undefined && file.size > max) throw documentTooLarge(file.size, max);
            const buffer = await file.arrayBuffer().catch(() => {
              throw new VgcaError('VGCA_DOWNLOAD_FAILED', 'local file');
            });
            return { bytes: new Uint8Array(buffer), name: file.name };
          })
          .then(resolve, reject);
      },
      { once: true },
    );
    input.addEventListener('cancel', () => reject(new VgcaError('USER_CANCELLED')), {
      once: true,
    });
  });
  input.click();
  return picked;
}

interface NativeBase64Ctor {
  fromBase64?: (text: string) => Uint8Array<ArrayBuffer>;
}

/** Base64 of a whole document (FileBase64 when there is no FileUploadHandler). */
export { toBase64 } from '../client/index.ts';

/** Bytes of base64 text (small inputs: a message's content). */
export function fromBase64(base64: string): Bytes {
  const native = (Uint8Array as NativeBase64Ctor).fromBase64;
  if (typeof native === 'function') return native(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The SDK hands documents back as Uint8Array; Blob and WebCrypto want a plain ArrayBuffer. */
export function ownBytes(bytes: Uint8Array): Bytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Bytes) : new Uint8Array(bytes);
}
