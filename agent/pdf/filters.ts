/** Stream decoding for the streams we must read ourselves: xref streams and object streams. */
import { inflateSync, constants } from 'node:zlib';
import { KysoError } from '../errors/index.ts';
import { PdfDict, isDict, isName, type PdfValue } from './objects.ts';

function inflateLenient(data: Buffer): Buffer {
  try {
    return inflateSync(data);
  } catch {
    // Some producers leave the zlib stream unterminated; take what decodes.
    return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  }
}

/** Undoes PNG predictors (used by xref streams, ISO 32000-1 §7.4.4.4). */
function unpredict(data: Buffer, parms: PdfDict | undefined): Buffer {
  const predictor = Number(parms?.get('Predictor') ?? 1);
  if (predictor < 10) {
    if (predictor === 1) return data;
    throw new KysoError('PDF_UNSUPPORTED', { reason: `TIFF predictor ${predictor}` });
  }
  const colors = Number(parms?.get('Colors') ?? 1);
  const bpc = Number(parms?.get('BitsPerComponent') ?? 8);
  const columns = Number(parms?.get('Columns') ?? 1);
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLength = Math.ceil((colors * bpc * columns) / 8);
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = Buffer.alloc(rows * rowLength);
  let prev = Buffer.alloc(rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)];
    const row = data.subarray(r * (rowLength + 1) + 1, (r + 1) * (rowLength + 1));
    const cur = out.subarray(r * rowLength, (r + 1) * rowLength);
    for (let i = 0; i < rowLength; i++) {
      const x = row[i] ?? 0;
      const a = i >= bpp ? (cur[i - bpp] ?? 0) : 0;
      const b = prev[i] ?? 0;
      const c = i >= bpp ? (prev[i - bpp] ?? 0) : 0;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new KysoError('PDF_MALFORMED', { reason: `bad PNG predictor row type ${type}` });
      }
      cur[i] = v & 0xff;
    }
    prev = cur;
  }
  return out;
}

export function decodeStream(streamDict: PdfDict, raw: Buffer): Buffer {
  const filter: PdfValue | undefined = streamDict.get('Filter');
  const parmsValue = streamDict.get('DecodeParms');
  const filters = Array.isArray(filter) ? filter : filter === undefined ? [] : [filter];
  const parms = Array.isArray(parmsValue) ? parmsValue : [parmsValue];
  let data = raw;
  filters.forEach((f, i) => {
    if (!isName(f, 'FlateDecode') && !isName(f, 'Fl')) {
      throw new KysoError('PDF_UNSUPPORTED', {
        reason: 'unsupported filter on an xref/object stream',
      });
    }
    const p = parms[i];
    data = unpredict(inflateLenient(data), isDict(p) ? p : undefined);
  });
  return data;
}
