/**
 * Documents in chunks: document.upload.begin / document.upload.chunk put a PDF of any size up
 * to limits.maxDocumentBytes into the connection's store (temp files, released on close),
 * sign.pdf / sign.pdfs / verify.pdf take it by `documentId`, document.download reads results
 * back in slices, document.release forgets documents. No frame carries more than 1 MiB of a
 * document in (4 MiB out), so frames stay small and agent memory does not follow document size.
 */
import {
  documentStoreFor,
  DOWNLOAD_REPLY_BYTES,
  UPLOAD_CHUNK_BYTES,
  type DocumentStore,
} from '../../signing/index.ts';
import { array, boolean, int, object, optional, string } from '../../validation/index.ts';
import { downloadBuffer } from '../binary.ts';
import { base64, bytesOrBase64, readParams } from '../params.ts';
import type { MethodContext, MethodTable } from './types.ts';

/** The connection's document store. */
export function documentStore(ctx: MethodContext): DocumentStore {
  const { maxDocumentBytes, maxStoredBytes, maxTotalStoredBytes, minFreeDiskBytes } =
    ctx.config.limits;
  return documentStoreFor(ctx.connectionSignal, {
    maxDocumentBytes,
    maxStoredBytes,
    maxTotalStoredBytes,
    minFreeDiskBytes,
  });
}

export const documentId = string({
  pattern: /^[0-9a-f]{32}$/,
  expected: {
    vi: 'mã văn bản do document.upload.begin trả về (32 ký tự thập lục phân)',
    en: 'a document id from document.upload.begin (32 hex characters)',
  },
});

const MAX_SIZE = 2 ** 52;
/** Files one document.download reads at once. */
const DOWNLOAD_READERS = 4;
const chunkData = base64(
  { vi: 'một đoạn văn bản', en: 'a chunk of the document' },
  { maxBytes: UPLOAD_CHUNK_BYTES },
);
/** A chunk's bytes: raw from a binary frame (JSON never yields a Buffer), else base64. */
const chunkBytes = bytesOrBase64(chunkData, UPLOAD_CHUNK_BYTES);

const beginParams = object({
  size: int(1, MAX_SIZE, { vi: 'kích thước tệp (byte)', en: 'the file size in bytes' }),
  sha256: optional(
    string({
      pattern: /^[0-9a-fA-F]{64}$/,
      expected: {
        vi: 'SHA-256 của cả tệp (64 ký tự thập lục phân)',
        en: 'the SHA-256 of the whole file (64 hex characters)',
      },
    }),
  ),
  data: optional(chunkData),
});

const chunkParams = object({
  documentId,
  offset: int(0, MAX_SIZE, { vi: 'vị trí byte', en: 'a byte offset' }),
  data: chunkBytes,
});

const downloadParams = (maxItems: number) =>
  object({
    items: array(
      object({
        documentId,
        offset: optional(int(0, MAX_SIZE, { vi: 'vị trí byte', en: 'a byte offset' })),
        length: optional(
          int(1, DOWNLOAD_REPLY_BYTES, {
            vi: `số byte (1-${DOWNLOAD_REPLY_BYTES})`,
            en: `a byte count (1-${DOWNLOAD_REPLY_BYTES})`,
          }),
        ),
      }),
      { min: 1, max: maxItems },
    ),
    release: optional(boolean()),
    /** Bytes as binary frames before the reply (items then carry no `data`). */
    binary: optional(boolean()),
  });

const releaseParams = (maxItems: number) =>
  object({ documentIds: array(documentId, { min: 1, max: maxItems }) });

export const documentMethods: MethodTable = {
  'document.upload.begin': async (params, ctx) => {
    const { size, sha256, data } = readParams(beginParams, params);
    const store = documentStore(ctx);
    const id = await store.begin(size, sha256);
    const limits = {
      chunkBytes: UPLOAD_CHUNK_BYTES,
      maxDocumentBytes: store.limits.maxDocumentBytes,
    };
    if (data === undefined)
      return { documentId: id, size, received: 0, complete: false, ...limits };
    try {
      return { documentId: id, ...(await store.write(id, 0, data)), ...limits };
    } catch (error) {
      await store.release(id);
      throw error;
    }
  },

  'document.upload.chunk': async (params, ctx) => {
    const { documentId: id, offset, data } = readParams(chunkParams, params);
    return { documentId: id, ...(await documentStore(ctx).write(id, offset, data)) };
  },

  'document.download': async (params, ctx) => {
    const p = readParams(downloadParams(ctx.config.limits.maxBatchItems), params);
    const store = documentStore(ctx);
    const sendBytes = p.binary === true ? ctx.sendBytes : undefined;
    // Every item's slice is planned first (an unknown id fails before any byte is sent).
    let budget = DOWNLOAD_REPLY_BYTES;
    const slices = p.items.map((item) => {
      const size = store.size(item.documentId);
      const offset = Math.min(item.offset ?? 0, size);
      const want = Math.max(
        0,
        Math.min(item.length ?? DOWNLOAD_REPLY_BYTES, budget, size - offset),
      );
      budget -= want;
      return { documentId: item.documentId, size, offset, want };
    });
    // A few files read at once: one's open and read overlap another's.
    const data: Buffer[] = [];
    let next = 0;
    const reader = async (): Promise<void> => {
      for (let i = next++; i < slices.length; i = next++) {
        const { documentId, offset, want } = slices[i] as (typeof slices)[number];
        // Binary: read behind the frame header's room (the frame is sent without a copy).
        data[i] =
          want > 0
            ? await store.read(documentId, offset, want, sendBytes ? downloadBuffer : undefined)
            : Buffer.alloc(0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOWNLOAD_READERS, slices.length) }, reader));
    const releases: Promise<boolean>[] = [];
    const items = slices.map(({ documentId, size, offset }, i) => {
      const bytes = data[i] as Buffer;
      const done = offset + bytes.length >= size;
      if (done && p.release === true) releases.push(store.release(documentId));
      if (sendBytes && bytes.length > 0) sendBytes(documentId, offset, bytes);
      return {
        documentId,
        offset,
        size,
        ...(sendBytes ? { length: bytes.length } : { data: bytes.toString('base64') }),
        done,
      };
    });
    await Promise.all(releases);
    return { items };
  },

  'document.release': async (params, ctx) => {
    const { documentIds } = readParams(releaseParams(ctx.config.limits.maxBatchItems), params);
    const store = documentStore(ctx);
    let released = 0;
    for (const id of documentIds) if (await store.release(id)) released++;
    return { released };
  },
};
