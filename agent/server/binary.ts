/**
 * Binary WebSocket frames for document bytes (docs/protocol.md "Binary frames"): base64 in
 * JSON text costs a third more bytes and an encode, a parse and a decode of every megabyte on
 * both sides; a binary frame carries the raw bytes behind a fixed 29-byte header. Control
 * stays JSON-RPC: an upload frame is answered like document.upload.chunk (a text reply with
 * the header's request id), download data frames precede their JSON reply.
 *
 *   byte 0      kind: 1 = upload chunk (page → agent), 2 = download data (agent → page)
 *   bytes 1-4   JSON-RPC request id, uint32 big-endian
 *   bytes 5-20  documentId, 16 raw bytes (the 32 hex characters of document.upload.begin)
 *   bytes 21-28 byte offset in the document, uint64 big-endian
 *   bytes 29-   the document's bytes
 */
import { INVALID_REQUEST, RpcError, type RpcId, type RpcRequest } from './jsonrpc.ts';

import { BINARY_FRAME } from '../protocol/index.ts';

const BINARY_HEADER_BYTES = BINARY_FRAME.headerBytes;

export interface BinaryChunk {
  id: number;
  documentId: string;
  offset: number;
  data: Buffer;
}

/** An upload chunk's header and bytes, or null when it is shorter than a header or of another kind. */
export function readBinaryFrame(frame: Buffer): BinaryChunk | null {
  if (frame.length < BINARY_HEADER_BYTES) return null;
  if (frame[0] !== BINARY_FRAME.uploadChunk) return null;
  const offset = frame.readBigUInt64BE(BINARY_FRAME.offsetAt);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    id: frame.readUInt32BE(BINARY_FRAME.idAt),
    documentId: frame.subarray(BINARY_FRAME.documentIdAt, BINARY_FRAME.offsetAt).toString('hex'),
    offset: Number(offset),
    data: frame.subarray(BINARY_HEADER_BYTES),
  };
}

/** Buffers of `downloadBuffer`: a header's room precedes their first byte. */
const withHeaderRoom = new WeakSet<Buffer>();

/**
 * A buffer for `length` download bytes with room for the frame header before it, so the frame
 * is sent without copying the bytes behind a header (a megabyte per frame).
 */
export function downloadBuffer(length: number): Buffer {
  const data = Buffer.allocUnsafe(BINARY_HEADER_BYTES + length).subarray(BINARY_HEADER_BYTES);
  withHeaderRoom.add(data);
  return data;
}

/** A download data frame: the header, then `data` (in place when it is a `downloadBuffer`). */
export function downloadFrame(
  id: number,
  documentId: string,
  offset: number,
  data: Buffer,
): Buffer {
  const inPlace = withHeaderRoom.has(data);
  const frame = inPlace
    ? Buffer.from(
        data.buffer,
        data.byteOffset - BINARY_HEADER_BYTES,
        BINARY_HEADER_BYTES + data.length,
      )
    : Buffer.allocUnsafe(BINARY_HEADER_BYTES + data.length);
  frame.fill(0, 0, BINARY_HEADER_BYTES);
  frame[0] = BINARY_FRAME.downloadData;
  frame.writeUInt32BE(id >>> 0, BINARY_FRAME.idAt);
  frame.write(documentId, BINARY_FRAME.documentIdAt, 16, 'hex');
  frame.writeBigUInt64BE(BigInt(offset), BINARY_FRAME.offsetAt);
  if (!inPlace) data.copy(frame, BINARY_HEADER_BYTES);
  return frame;
}

/** A binary frame as the request it stands for (document.upload.chunk with raw bytes). */
export function parseBinaryRequest(
  frame: Buffer,
): { ok: true; request: RpcRequest } | { ok: false; id: RpcId; error: RpcError } {
  const chunk = readBinaryFrame(frame);
  if (chunk === null) {
    const problem = `a binary frame must be an upload chunk: kind 1, then a ${BINARY_HEADER_BYTES}-byte header (see docs/protocol.md "Binary frames")`;
    return {
      ok: false,
      id: null,
      error: new RpcError(INVALID_REQUEST, 'INVALID_INPUT', {
        message: `Invalid request: ${problem}`,
        details: { problem },
      }),
    };
  }
  const { id, documentId, offset, data } = chunk;
  return {
    ok: true,
    request: {
      id,
      hasId: true,
      method: 'document.upload.chunk',
      params: { documentId, offset, data },
    },
  };
}

/** Sends download bytes of request `id` as binary frames on `connection`. */
export function binarySender(
  connection: { send(frame: Buffer): void },
  id: number,
): (documentId: string, offset: number, data: Buffer) => void {
  return (documentId, offset, data) => connection.send(downloadFrame(id, documentId, offset, data));
}
