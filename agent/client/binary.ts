/**
 * The SDK's side of binary document frames (docs/protocol.md "Binary frames"): encodes upload
 * chunks, decodes download data. Plain Uint8Array/DataView, so it runs in browsers and Node.
 */
import { BINARY_FRAME } from '../protocol/index.ts';

export interface DownloadData {
  id: number;
  documentId: string;
  offset: number;
  bytes: Uint8Array;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** An upload chunk frame: header, then `bytes` (one copy, the frame the socket sends). */
export function uploadChunkFrame(
  id: number,
  documentId: string,
  offset: number,
  bytes: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(BINARY_FRAME.headerBytes + bytes.length);
  const view = new DataView(frame.buffer);
  frame[0] = BINARY_FRAME.uploadChunk;
  view.setUint32(BINARY_FRAME.idAt, id >>> 0);
  for (let i = 0; i < 16; i++) {
    frame[BINARY_FRAME.documentIdAt + i] = parseInt(documentId.slice(2 * i, 2 * i + 2), 16);
  }
  // uint64 as two halves: offsets stay below 2^53.
  view.setUint32(BINARY_FRAME.offsetAt, Math.floor(offset / 2 ** 32));
  view.setUint32(BINARY_FRAME.offsetAt + 4, offset >>> 0);
  frame.set(bytes, BINARY_FRAME.headerBytes);
  return frame;
}

/** A download data frame's header and bytes, or null for anything else. */
export function readDownloadFrame(data: ArrayBuffer | Uint8Array): DownloadData | null {
  const frame = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (frame.length < BINARY_FRAME.headerBytes || frame[0] !== BINARY_FRAME.downloadData) {
    return null;
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  let documentId = '';
  for (let i = 0; i < 16; i++) documentId += HEX[frame[BINARY_FRAME.documentIdAt + i] ?? 0];
  return {
    id: view.getUint32(BINARY_FRAME.idAt),
    documentId,
    offset:
      view.getUint32(BINARY_FRAME.offsetAt) * 2 ** 32 + view.getUint32(BINARY_FRAME.offsetAt + 4),
    bytes: frame.subarray(BINARY_FRAME.headerBytes),
  };
}
