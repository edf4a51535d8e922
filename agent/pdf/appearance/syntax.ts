/** Tiny PDF syntax helpers: numbers without exponents, stream object bodies. */
import { deflateSync } from 'node:zlib';

/** A PDF real: at most 3 decimals, never exponent notation, no "-0". */
export function num(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${String(n)}`);
  const r = Math.round(n * 1000) / 1000;
  if (r === 0) return '0';
  return r.toFixed(3).replace(/\.?0+$/, '');
}

export function numbers(values: readonly number[]): string {
  return values.map(num).join(' ');
}

/** "<< dict /Length n >>\nstream\n...\nendstream", Flate-compressed when asked. */
export function streamBody(dict: string, data: Buffer, compress: boolean): Buffer {
  const payload = compress ? deflateSync(data) : data;
  const filter = compress ? ' /Filter /FlateDecode' : '';
  const head = `<< ${dict}${filter} /Length ${payload.length} >>\nstream\n`;
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    payload,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}
