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
  const { maxDocumentBytes, maxStoredBytes } = ctx.config.limits;
  return documentStoreFor(ctx.signal, { maxDocumentBytes, maxStoredBytes });
}

export const documentId = string({
  pattern: /^[0-9a-f]{32}$/,
  expected: {
    vi: 'mã văn bản do document.upload.begin trả về (32 ký tự thập lục phân)',
    en: 'a document id from document.upload.begin (32 hex characters)',
  },
});

const MAX_SIZE = 2 ** 52;
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
    let budget = DOWNLOAD_REPLY_BYTES;
    const items = [];
    for (const item of p.items) {
      const size = store.size(item.documentId);
      const offset = Math.min(item.offset ?? 0, size);
      const want = Math.min(item.length ?? DOWNLOAD_REPLY_BYTES, budget, size - offset);
      // Binary: read behind the frame header's room (the frame is sent without a copy).
      const data =
        want > 0
          ? await store.read(item.documentId, offset, want, sendBytes ? downloadBuffer : undefined)
          : Buffer.alloc(0);
      budget -= data.length;
      const done = offset + data.length >= size;
      if (done && p.release === true) await store.release(item.documentId);
      if (sendBytes && data.length > 0) sendBytes(item.documentId, offset, data);
      items.push({
        documentId: item.documentId,
        offset,
        size,
        ...(sendBytes ? { length: data.length } : { data: data.toString('base64') }),
        done,
      });
    }
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
