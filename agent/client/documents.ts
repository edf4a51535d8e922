/**
 * Chunked document transfer for the browser SDK: a PDF given as Blob / ArrayBuffer /
 * Uint8Array is uploaded with document.upload.begin + document.upload.chunk (1 MiB per frame,
 * a few chunks in flight), signed or verified by `documentId`, and the signed copy read back
 * with document.download. Pages call signPdf / signPdfs / verifyPdf as before; nothing here
 * holds more than the document itself plus a few chunks.
 */
import type {
  AgentInfo,
  DocumentDownloadResult,
  DocumentUploadBeginResult,
  DocumentUploadProgress,
} from '../protocol/index.ts';

/** A document as a page has it. */
export type PdfInput = Blob | ArrayBuffer | Uint8Array;

/** Progress of a chunked operation, for a page's progress bar. */
export interface TransferProgress {
  phase: 'upload' | 'sign' | 'download';
  /** Bytes (upload, download) or documents (sign) done so far, and in all. */
  done: number;
  total: number;
  /** The document just finished (sign phase). */
  name?: string;
}

export interface TransferOptions {
  onProgress?: (progress: TransferProgress) => void;
  /** Documents uploaded at once in a batch (default 8 in binary frames, 4 in base64). */
  concurrency?: number;
}

/** How the transfer talks to the agent: KysoClient's call with rate-limit retries. */
export type Caller = (method: string, params: object) => Promise<unknown>;

/**
 * Document bytes in binary WebSocket frames (agents with limits.binaryFrames): no base64, no
 * JSON of megabytes on either side. KysoClient provides it; absent, the transfer uses base64.
 */
export interface BinaryTransport {
  /** One upload chunk as a binary frame; resolves with its document.upload.chunk reply. */
  uploadChunk(documentId: string, offset: number, bytes: Uint8Array): Promise<unknown>;
  /** document.download with binary: true; `onData` sees each data frame before the reply. */
  download(
    params: object,
    onData: (documentId: string, offset: number, bytes: Uint8Array) => void,
  ): Promise<unknown>;
}

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_DOWNLOAD_BYTES = 4 * 1024 * 1024;
/** Chunks of one document in flight at once. */
const WINDOW = 4;

export function isPdfInput(value: unknown): value is PdfInput {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return true;
  const BlobCtor = (globalThis as { Blob?: typeof Blob }).Blob;
  return BlobCtor !== undefined && value instanceof BlobCtor;
}

export function byteLength(input: PdfInput): number {
  return input instanceof Uint8Array || input instanceof ArrayBuffer
    ? input.byteLength
    : input.size;
}

async function slice(input: PdfInput, start: number, end: number): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input.subarray(start, end);
  if (input instanceof ArrayBuffer) return new Uint8Array(input, start, end - start);
  return new Uint8Array(await input.slice(start, end).arrayBuffer());
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = new Uint8Array(64).map((_, i) => ALPHABET.charCodeAt(i));
const DECODE = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Native base64 where the engine has it (Uint8Array.prototype.toBase64, Node's Buffer). */
interface NativeBytes {
  toBase64?: () => string;
  setFromBase64?: (text: string) => { read: number; written: number };
}
interface NodeBufferLike {
  from(
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(e: string): string };
  from(text: string, encoding: string): Uint8Array;
}
const nodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;
const browserAtob =
  nodeBuffer === undefined ? (globalThis as { atob?: (s: string) => string }).atob : undefined;

/**
 * Base64 of bytes: the engine's own encoder when it has one, else by table. Never
 * String.fromCharCode(...chunk) + btoa: on 50 MiB in Chromium 156 that took 3.0 s against
 * 0.47 s by table and 0.04 s natively.
 */
export function toBase64(bytes: Uint8Array): string {
  const native = bytes as Uint8Array & NativeBytes;
  if (typeof native.toBase64 === 'function') return native.toBase64();
  if (nodeBuffer) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  }
  return tableBase64(bytes);
}

/** Base64 by table, then one ASCII decode. */
export function tableBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = ENCODE[n >>> 18] as number;
    out[o++] = ENCODE[(n >>> 12) & 63] as number;
    out[o++] = ENCODE[(n >>> 6) & 63] as number;
    out[o++] = ENCODE[n & 63] as number;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = ENCODE[n >>> 18] as number;
    out[o++] = ENCODE[(n >>> 12) & 63] as number;
    out[o++] = rest === 2 ? (ENCODE[(n >>> 6) & 63] as number) : 61;
    out[o] = 61;
  }
  return new TextDecoder().decode(out);
}

/** Decodes padded base64 into `target` at `at`; returns the number of bytes written. */
export function decodeBase64Into(text: string, target: Uint8Array, at: number): number {
  const view = target.subarray(at) as Uint8Array & NativeBytes;
  if (typeof view.setFromBase64 === 'function') return view.setFromBase64(text).written;
  if (nodeBuffer) {
    const bytes = nodeBuffer.from(text, 'base64');
    const n = Math.min(bytes.length, view.length);
    view.set(bytes.subarray(0, n));
    return n;
  }
  if (browserAtob) {
    const binary = browserAtob(text);
    const n = Math.min(binary.length, view.length);
    for (let i = 0; i < n; i++) view[i] = binary.charCodeAt(i);
    return n;
  }
  return tableDecodeInto(text, target, at);
}

/** Decodes by table. */
export function tableDecodeInto(text: string, target: Uint8Array, at: number): number {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  let o = at;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < end; i++) {
    const v = DECODE[text.charCodeAt(i) & 127] as number;
    if (v === 255) throw new Error('invalid base64 from the agent');
    n = (n << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= target.length) return o - at;
      target[o++] = (n >>> bits) & 255;
    }
  }
  return o - at;
}

export function limitsOf(info: AgentInfo | null): {
  maxDocumentBytes: number | undefined;
  chunkBytes: number;
  downloadBytes: number;
} {
  const limits = info?.limits;
  return {
    maxDocumentBytes: limits?.maxDocumentBytes,
    chunkBytes: limits?.uploadChunkBytes ?? DEFAULT_CHUNK_BYTES,
    downloadBytes: limits?.downloadReplyBytes ?? DEFAULT_DOWNLOAD_BYTES,
  };
}

/** Uploads one document; resolves with its id once the agent has every byte. */
export async function uploadDocument(
  call: Caller,
  input: PdfInput,
  chunkBytes: number,
  onBytes?: (bytes: number) => void,
  binary?: BinaryTransport,
): Promise<string> {
  const size = byteLength(input);
  // In base64 the first chunk rides on begin (one request less); in binary it has its frame.
  const first = binary ? new Uint8Array(0) : await slice(input, 0, Math.min(size, chunkBytes));
  const begun = (await call('document.upload.begin', {
    size,
    ...(first.length > 0 ? { data: toBase64(first) } : {}),
  })) as DocumentUploadBeginResult;
  onBytes?.(first.length);
  const id = begun.documentId;
  const step = Math.min(chunkBytes, begun.chunkBytes);
  try {
    let offset = first.length;
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    while (offset < size && failure === undefined) {
      const start = offset;
      const end = Math.min(size, start + step);
      offset = end;
      const bytes = await slice(input, start, end);
      const reply = binary
        ? binary.uploadChunk(id, start, bytes)
        : call('document.upload.chunk', { documentId: id, offset: start, data: toBase64(bytes) });
      const sent: Promise<void> = (reply as Promise<DocumentUploadProgress>).then(
        () => {
          onBytes?.(end - start);
          inFlight.delete(sent);
        },
        (error: unknown) => {
          failure ??= error;
          inFlight.delete(sent);
        },
      );
      inFlight.add(sent);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    return id;
  } catch (error) {
    await call('document.release', { documentIds: [id] }).catch(() => undefined);
    throw error;
  }
}

/** Uploads several documents, `concurrency` at a time; ids in input order. */
export async function uploadDocuments(
  call: Caller,
  inputs: PdfInput[],
  chunkBytes: number,
  options: TransferOptions,
  binary?: BinaryTransport,
): Promise<string[]> {
  const total = inputs.reduce((sum, input) => sum + byteLength(input), 0);
  let done = 0;
  const onBytes = (bytes: number): void => {
    done += bytes;
    options.onProgress?.({ phase: 'upload', done, total });
  };
  const ids: (string | undefined)[] = new Array<string | undefined>(inputs.length);
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < inputs.length) {
      const i = next++;
      try {
        ids[i] = await uploadDocument(call, inputs[i] as PdfInput, chunkBytes, onBytes, binary);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  // Binary chunks cost the agent no decode: more documents at once hide the round trips.
  const workers = Math.max(1, Math.min(options.concurrency ?? (binary ? 8 : 4), inputs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) {
    const uploaded = ids.filter((id): id is string => id !== undefined);
    if (uploaded.length > 0) {
      await call('document.release', { documentIds: uploaded }).catch(() => undefined);
    }
    throw failure;
  }
  return ids as string[];
}

/** document.download requests in flight at once (each reply at most the reply budget). */
const DOWNLOADS_IN_FLIGHT = 3;

/**
 * Splits documents (by index) into groups whose sizes add up to at most `budget`, so one
 * download request can carry a whole group; a document over the budget is a group alone.
 */
export function downloadGroups(sizes: number[], budget: number): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let bytes = 0;
  for (const [i, size] of sizes.entries()) {
    if (size === 0) continue;
    if (group.length > 0 && bytes + size > budget) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(i);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * Reads stored documents back (each released once read). The sizes the sign reply announced
 * plan the requests: groups that fit the agent's reply budget, a few requests in flight, so
 * the socket never waits for a round trip while the agent holds at most a few replies.
 */
export async function downloadDocuments(
  call: Caller,
  documents: { documentId: string; size: number }[],
  options: TransferOptions & { replyBytes?: number },
  binary?: BinaryTransport,
): Promise<Uint8Array[]> {
  const buffers = documents.map((d) => new Uint8Array(d.size));
  const offsets = documents.map(() => 0);
  const total = documents.reduce((sum, d) => sum + d.size, 0);
  let done = 0;
  const indexOf = new Map(documents.map((d, i) => [d.documentId, i]));
  // A data frame lands straight in its document's buffer; the reply then says how much came.
  const onData = (documentId: string, offset: number, bytes: Uint8Array): void => {
    const target = buffers[indexOf.get(documentId) ?? -1];
    if (target && offset + bytes.length <= target.length) target.set(bytes, offset);
  };
  const readGroup = async (group: number[]): Promise<void> => {
    let pending = group;
    while (pending.length > 0) {
      const params = {
        items: pending.map((i) => ({
          documentId: (documents[i] as { documentId: string }).documentId,
          offset: offsets[i] as number,
        })),
        release: true,
      };
      const reply = (await (binary
        ? binary.download({ ...params, binary: true }, onData)
        : call('document.download', params))) as DocumentDownloadResult;
      const still: number[] = [];
      let moved = 0;
      for (const [k, item] of reply.items.entries()) {
        const i = pending[k] as number;
        const n =
          item.data !== undefined
            ? decodeBase64Into(item.data, buffers[i] as Uint8Array, item.offset)
            : (item.length ?? 0);
        offsets[i] = item.offset + n;
        done += n;
        moved += n;
        if (!item.done) still.push(i);
      }
      options.onProgress?.({ phase: 'download', done, total });
      if (still.length === pending.length && moved === 0) {
        throw new Error('document.download made no progress');
      }
      pending = still;
    }
  };
  const groups = downloadGroups(
    documents.map((d) => d.size),
    options.replyBytes ?? DEFAULT_DOWNLOAD_BYTES,
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) await readGroup(groups[next++] as number[]);
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS_IN_FLIGHT, groups.length) }, worker));
  // Empty documents are never downloaded: release them too.
  const empty = documents.filter((d) => d.size === 0).map((d) => d.documentId);
  if (empty.length > 0) await call('document.release', { documentIds: empty });
  return buffers;
}
