/**
 * Builds one incremental update (ISO 32000-1 §7.5.6): new and updated objects, then a
 * cross-reference section of the same kind as the file's last one (table or xref stream)
 * whose /Prev points at the previous section. Existing bytes are never touched.
 */
import { PdfDict, PdfName, asNumber, serialize, type PdfValue } from './objects.ts';
import type { PdfReader } from './reader.ts';

interface PendingObject {
  num: number;
  gen: number;
  body: Buffer;
}

export class IncrementBuilder {
  private readonly objects: PendingObject[] = [];
  private nextId: number;

  constructor(private readonly reader: PdfReader) {
    this.nextId = reader.size;
  }

  allocate(): number {
    return this.nextId++;
  }

  /** Adds an object from a value (dicts, arrays) or a prepared body (streams). */
  add(num: number, value: PdfValue | Buffer, gen = 0): void {
    const body = Buffer.isBuffer(value) ? value : Buffer.from(serialize(value), 'latin1');
    const existing = this.objects.findIndex((o) => o.num === num);
    if (existing >= 0) this.objects.splice(existing, 1);
    this.objects.push({ num, gen, body });
  }

  /**
   * Serialises the increment. `base` is where it starts in the output (the input's size);
   * a newline is prepended when the input does not end with one.
   */
  async build(): Promise<Buffer> {
    const source = this.reader.source;
    const last = await source.read(Math.max(0, source.size - 1), 1);
    const parts: Buffer[] = [];
    let length = 0;
    const push = (b: Buffer | string): void => {
      const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
      parts.push(buf);
      length += buf.length;
    };
    if (last[0] !== 0x0a && last[0] !== 0x0d) push('\n');
    const offsets = new Map<number, { offset: number; gen: number }>();
    for (const o of this.objects) {
      offsets.set(o.num, { offset: source.size + length, gen: o.gen });
      push(`${o.num} ${o.gen} obj\n`);
      push(o.body);
      push('\nendobj\n');
    }
    const section = this.reader.sections[0];
    const old = this.reader.trailer;
    const trailer = new PdfDict();
    for (const key of ['Root', 'Info', 'ID']) {
      const v = old.get(key);
      if (v !== undefined) trailer.set(key, v);
    }
    trailer.set('Prev', this.reader.startxref);
    const xrefOffset = source.size + length;
    if (section?.kind === 'stream') {
      const xrefNum = this.allocate();
      offsets.set(xrefNum, { offset: xrefOffset, gen: 0 });
      push(this.xrefStream(xrefNum, offsets, trailer));
    } else {
      trailer.set('Size', Math.max(this.nextId, asNumber(old.get('Size')) ?? 0));
      push(this.xrefTable(offsets));
      push(`trailer\n${serialize(orderTrailer(trailer))}\n`);
    }
    push(`startxref\n${xrefOffset}\n%%EOF\n`);
    return Buffer.concat(parts, length);
  }

  private xrefTable(offsets: Map<number, { offset: number; gen: number }>): string {
    let out = 'xref\n';
    for (const [start, nums] of runs([...offsets.keys()])) {
      out += `${start} ${nums.length}\n`;
      for (const n of nums) {
        const e = offsets.get(n);
        if (!e) continue;
        out += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
      }
    }
    return out;
  }

  private xrefStream(
    xrefNum: number,
    offsets: Map<number, { offset: number; gen: number }>,
    trailer: PdfDict,
  ): Buffer {
    const maxOffset = Math.max(...[...offsets.values()].map((e) => e.offset));
    const w1 = maxOffset < 2 ** 32 ? 4 : 6;
    const index: number[] = [];
    const rows: Buffer[] = [];
    for (const [start, nums] of runs([...offsets.keys()])) {
      index.push(start, nums.length);
      for (const n of nums) {
        const e = offsets.get(n) ?? { offset: 0, gen: 0 };
        const row = Buffer.alloc(1 + w1 + 2);
        row[0] = 1;
        row.writeUIntBE(e.offset, 1, w1);
        row.writeUInt16BE(e.gen, 1 + w1);
        rows.push(row);
      }
    }
    const data = Buffer.concat(rows);
    const d = new PdfDict()
      .set('Type', new PdfName('XRef'))
      .set('Size', this.nextId)
      .set('W', [1, w1, 2])
      .set('Index', index)
      .set('Length', data.length);
    for (const [k, v] of orderTrailer(trailer).map) d.set(k, v);
    return Buffer.concat([
      Buffer.from(`${xrefNum} 0 obj\n${serialize(d)}\nstream\n`, 'latin1'),
      data,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
  }
}

function orderTrailer(t: PdfDict): PdfDict {
  const out = new PdfDict();
  for (const key of ['Size', 'Root', 'Info', 'ID', 'Prev']) {
    const v = t.get(key);
    if (v !== undefined) out.set(key, v);
  }
  return out;
}

/** Groups object numbers into consecutive runs: [[start, [nums...]], ...]. */
function runs(nums: number[]): [number, number[]][] {
  const sorted = [...nums].sort((a, b) => a - b);
  const out: [number, number[]][] = [];
  for (const n of sorted) {
    const lastRun = out.at(-1);
    if (lastRun && lastRun[0] + lastRun[1].length === n) lastRun[1].push(n);
    else out.push([n, [n]]);
  }
  return out;
}
