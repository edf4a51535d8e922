/**
 * Reads the structure of a PDF without loading it: trailer and cross-reference sections
 * (classic tables, xref streams, hybrid files, incremental updates, linearized files),
 * then individual objects on demand, including objects inside object streams.
 */
import { KysoError } from '../errors/index.ts';
import { decodeStream } from './filters.ts';
import { PdfDict, PdfRef, PdfStream, asNumber, isDict, isName, type PdfValue } from './objects.ts';
import { NeedMoreData, Parser, SyntaxError_ } from './parser.ts';
import type { ByteSource } from './source.ts';
import { encryptionKind, type EncryptionKind } from './encryption.ts';

/** PDF_ENCRYPTED details.reason: what the user has, and so what to do. */
const ENCRYPTION_REASONS: Record<EncryptionKind, string> = {
  'permissions-only':
    'encrypted with permissions only (no password to open): save it again without encryption',
  password: 'password-protected: a password is needed to open it; save an unencrypted copy',
  unknown: 'encrypted (unknown security handler): save an unencrypted copy',
};

export type XrefEntry =
  | { type: 1; offset: number; gen: number }
  | { type: 2; stream: number; index: number }
  | { type: 0 };

export interface XrefSection {
  /** Offset of the "xref" keyword or of the xref stream object. */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
  /** Object numbers this section defines as in use (with its /XRefStm for hybrid files). */
  objects: number[];
  /** Its entries in priority order (hybrid: /XRefStm entries first), to rebuild revisions. */
  entries: [number, XrefEntry][];
}

export interface PageInfo {
  index: number;
  ref: PdfRef;
  dict: PdfDict;
  mediaBox: [number, number, number, number];
  /** The inherited /CropBox when the page has one. */
  cropBox?: [number, number, number, number];
  rotate: number;
}

const malformed = (reason: string, extra: Record<string, string | number> = {}): KysoError =>
  new KysoError('PDF_MALFORMED', { reason, ...extra });

export class PdfReader {
  readonly xref = new Map<number, XrefEntry>();
  /** Newest first. */
  readonly sections: XrefSection[] = [];
  private readonly cache = new Map<number, PdfValue>();
  private readonly objStreams = new Map<
    number,
    { first: number; data: Buffer; offsets: number[]; nums: number[] }
  >();
  startxref = 0;

  private constructor(readonly source: ByteSource) {}

  /** `startxref` opens an earlier revision (the one whose xref section starts there). */
  static async open(source: ByteSource, startxref?: number): Promise<PdfReader> {
    const reader = new PdfReader(source);
    try {
      await reader.load(startxref);
    } catch (error) {
      if (error instanceof KysoError) throw error;
      throw malformed(error instanceof Error ? error.message : String(error));
    }
    return reader;
  }

  /**
   * The document as it was at an earlier revision: the xref chain from sections[index] on.
   * Shares the parsed sections, so opening every revision of a 20-signature file is cheap.
   */
  revision(index: number): PdfReader {
    const r = new PdfReader(this.source);
    r.sections.push(...this.sections.slice(index));
    for (const s of r.sections) for (const [num, entry] of s.entries) r.addEntry(num, entry);
    r.startxref = this.sections[index]?.offset ?? this.startxref;
    return r;
  }

  get trailer(): PdfDict {
    const t = this.sections[0]?.trailer;
    if (!t) throw malformed('no trailer');
    return t;
  }

  /** Highest object number + 1 across all sections. */
  get size(): number {
    let size = 0;
    for (const s of this.sections) size = Math.max(size, asNumber(s.trailer.get('Size')) ?? 0);
    for (const num of this.xref.keys()) size = Math.max(size, num + 1);
    return size;
  }

  private async load(startAt?: number): Promise<void> {
    const size = this.source.size;
    const head = await this.source.read(0, Math.min(1024, size));
    if (head.indexOf('%PDF-') < 0) throw malformed('no %PDF header');
    // Some files carry junk after %%EOF: look for the last startxref in the last 16 KB.
    const tail = await this.source.read(Math.max(0, size - 16384), 16384);
    const at = tail.lastIndexOf('startxref');
    if (at < 0) throw malformed('startxref not found');
    const m = /^startxref\s+(\d+)/.exec(tail.toString('latin1', at, at + 40));
    if (!m?.[1]) throw malformed('startxref has no offset');
    this.startxref = startAt ?? Number(m[1]);
    const seen = new Set<number>();
    let offset: number | undefined = this.startxref;
    while (offset !== undefined) {
      if (seen.has(offset)) throw malformed('xref /Prev loop');
      seen.add(offset);
      if (offset <= 0 || offset >= size)
        throw malformed('xref offset outside the file', { offset });
      const section = await this.readSection(offset);
      const prev = asNumber(section.trailer.get('Prev'));
      offset = prev;
    }
    const trailer = this.trailer;
    if (trailer.has('Encrypt')) {
      const encrypt = await this.resolveDict(trailer.get('Encrypt')).catch(() => undefined);
      const encryption = encryptionKind(encrypt, trailer);
      throw new KysoError('PDF_ENCRYPTED', {
        encryption,
        reason: ENCRYPTION_REASONS[encryption],
      });
    }
    if (!(trailer.get('Root') instanceof PdfRef)) throw malformed('trailer has no /Root');
  }

  /** Reads a window and runs `fn`, growing the window while the parser needs more data. */
  private async withWindow<T>(offset: number, initial: number, fn: (p: Parser) => T): Promise<T> {
    let length = initial;
    for (;;) {
      const buf = await this.source.read(offset, length);
      const atEof = offset + buf.length >= this.source.size;
      try {
        return fn(new Parser(buf, offset, atEof));
      } catch (error) {
        if (error instanceof NeedMoreData && !atEof) {
          length *= 4;
          continue;
        }
        if (error instanceof SyntaxError_) throw malformed(error.message, { offset });
        throw error;
      }
    }
  }

  private addEntry(num: number, entry: XrefEntry): void {
    // Newer sections are read first: never let an older entry replace a newer one.
    if (!this.xref.has(num)) this.xref.set(num, entry);
  }

  private async readSection(offset: number): Promise<XrefSection> {
    const probe = await this.source.read(offset, 32);
    if (probe.toString('latin1').trimStart().startsWith('xref')) {
      const { entries, trailer } = await this.withWindow(offset, 64 * 1024, (p) => {
        p.expectKeyword('xref');
        const list: [number, XrefEntry][] = [];
        for (;;) {
          const kw = p.peekKeyword();
          if (kw === 'trailer') break;
          const start = p.readInt();
          const count = p.readInt();
          for (let i = 0; i < count; i++) {
            const off = p.readInt();
            const gen = p.readInt();
            p.skipWhitespace();
            const kind = p.peekKeyword();
            p.expectKeyword(kind);
            if (kind === 'n') list.push([start + i, { type: 1, offset: off, gen }]);
            else if (kind === 'f') list.push([start + i, { type: 0 }]);
            else throw new SyntaxError_(`bad xref entry type "${kind}"`);
          }
        }
        p.expectKeyword('trailer');
        const t = p.parseValue();
        if (!isDict(t)) throw new SyntaxError_('trailer is not a dictionary');
        return { entries: list, trailer: t };
      });
      // Hybrid file: the /XRefStm entries of this section win over its table's free entries.
      const xrefStm = asNumber(trailer.get('XRefStm'));
      const ordered: [number, XrefEntry][] = [];
      if (xrefStm !== undefined) {
        const stm = await this.readXrefStream(xrefStm);
        ordered.push(...stm.entries.filter(([, e]) => e.type !== 0));
      }
      ordered.push(...entries);
      for (const [num, entry] of ordered) this.addEntry(num, entry);
      const objects = ordered.filter(([, e]) => e.type !== 0).map(([n]) => n);
      const section: XrefSection = { offset, kind: 'table', trailer, objects, entries: ordered };
      this.sections.push(section);
      return section;
    }
    const stm = await this.readXrefStream(offset).catch((error: unknown) => {
      const reason = error instanceof KysoError ? String(error.details.reason) : String(error);
      throw malformed('no cross-reference section at the startxref offset', {
        offset,
        cause: reason,
      });
    });
    for (const [num, entry] of stm.entries) this.addEntry(num, entry);
    const section: XrefSection = {
      offset,
      kind: 'stream',
      trailer: stm.dict,
      objects: stm.entries.filter(([, e]) => e.type !== 0).map(([n]) => n),
      entries: stm.entries,
    };
    this.sections.push(section);
    return section;
  }

  private async readXrefStream(
    offset: number,
  ): Promise<{ dict: PdfDict; entries: [number, XrefEntry][] }> {
    const obj = await this.withWindow(offset, 64 * 1024, (p) =>
      p.parseIndirect((d) => asNumber(d.get('Length'))),
    );
    if (!(obj.value instanceof PdfStream) || !isName(obj.value.dict.get('Type'), 'XRef')) {
      throw malformed('xref not found at the startxref offset', { offset });
    }
    const d = obj.value.dict;
    const data = decodeStream(d, obj.value.raw);
    const w = d.get('W');
    if (!Array.isArray(w) || w.length < 3) throw malformed('xref stream without /W');
    const widths = w.map((x) => asNumber(x) ?? 0);
    const [w0 = 0, w1 = 0, w2 = 0] = widths;
    const size = asNumber(d.get('Size')) ?? 0;
    const indexValue = d.get('Index');
    const index = Array.isArray(indexValue) ? indexValue.map((x) => asNumber(x) ?? 0) : [0, size];
    const rowLength = w0 + w1 + w2;
    const readField = (at: number, width: number): number => {
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + (data[at + i] ?? 0);
      return v;
    };
    const entries: [number, XrefEntry][] = [];
    let row = 0;
    for (let i = 0; i + 1 < index.length; i += 2) {
      const start = index[i] ?? 0;
      const count = index[i + 1] ?? 0;
      for (let k = 0; k < count; k++, row++) {
        const at = row * rowLength;
        if (at + rowLength > data.length) throw malformed('xref stream is truncated');
        const type = w0 === 0 ? 1 : readField(at, w0);
        const f2 = readField(at + w0, w1);
        const f3 = readField(at + w0 + w1, w2);
        if (type === 1) entries.push([start + k, { type: 1, offset: f2, gen: f3 }]);
        else if (type === 2) entries.push([start + k, { type: 2, stream: f2, index: f3 }]);
        else entries.push([start + k, { type: 0 }]);
      }
    }
    return { dict: d, entries };
  }

  async resolve(value: PdfValue | undefined): Promise<PdfValue | undefined> {
    let v = value;
    for (let depth = 0; v instanceof PdfRef && depth < 32; depth++) v = await this.getObject(v.num);
    return v;
  }

  async resolveDict(value: PdfValue | undefined): Promise<PdfDict | undefined> {
    const v = await this.resolve(value);
    if (v instanceof PdfStream) return v.dict;
    return isDict(v) ? v : undefined;
  }

  async getObject(num: number): Promise<PdfValue> {
    const cached = this.cache.get(num);
    if (cached !== undefined) return cached;
    const entry = this.xref.get(num);
    let value: PdfValue = null;
    if (entry?.type === 1) {
      if (entry.offset <= 0 || entry.offset >= this.source.size) {
        throw malformed('object offset outside the file', { object: num });
      }
      value = await this.readIndirectAt(num, entry.offset).catch(async (error: unknown) => {
        // Some producers write offsets a few bytes off: look for "num gen obj" close by.
        const near = await this.findNear(num, entry.gen, entry.offset);
        if (near === undefined) throw error;
        return this.readIndirectAt(num, near);
      });
    } else if (entry?.type === 2) {
      value = await this.getFromObjectStream(entry.stream, entry.index, num);
    }
    this.cache.set(num, value);
    return value;
  }

  private async readIndirectAt(num: number, offset: number): Promise<PdfValue> {
    const obj = await this.withWindow(offset, 4096, (p) =>
      p.parseIndirect((d) => {
        const length = d.get('Length');
        return typeof length === 'number' ? length : undefined;
      }),
    );
    if (obj.num !== num) {
      throw malformed('xref points to the wrong object', { object: num, found: obj.num });
    }
    return obj.value;
  }

  private async findNear(num: number, gen: number, offset: number): Promise<number | undefined> {
    const start = Math.max(0, offset - 1024);
    const window = await this.source.read(start, 2048 + 1024);
    const re = new RegExp(`(?:^|[^0-9])(${num}\\s+${gen}\\s+obj)\\b`, 'g');
    let best: number | undefined;
    for (let m = re.exec(window.toString('latin1')); m; m = re.exec(window.toString('latin1'))) {
      const at = start + m.index + m[0].indexOf(m[1] ?? '');
      if (best === undefined || Math.abs(at - offset) < Math.abs(best - offset)) best = at;
    }
    return best;
  }

  private async getFromObjectStream(
    streamNum: number,
    index: number,
    num: number,
  ): Promise<PdfValue> {
    let os = this.objStreams.get(streamNum);
    if (!os) {
      const stream = await this.getObject(streamNum);
      if (!(stream instanceof PdfStream)) throw malformed('object stream missing', { object: num });
      const data = decodeStream(stream.dict, stream.raw);
      const n = asNumber(stream.dict.get('N')) ?? 0;
      const first = asNumber(stream.dict.get('First')) ?? 0;
      const p = new Parser(data.subarray(0, first), 0, true);
      const offsets: number[] = [];
      const nums: number[] = [];
      for (let i = 0; i < n; i++) {
        nums.push(p.readInt());
        offsets.push(p.readInt());
      }
      os = { first, data, offsets, nums };
      this.objStreams.set(streamNum, os);
    }
    // Trust the number in the stream header over the xref's index when they disagree.
    const byNum = os.nums.indexOf(num);
    const rel = os.offsets[os.nums[index] === num || byNum < 0 ? index : byNum];
    if (rel === undefined) throw malformed('object stream index out of range', { object: num });
    try {
      return new Parser(os.data, 0, true, os.first + rel).parseValue();
    } catch (error) {
      if (error instanceof SyntaxError_) throw malformed(error.message, { object: num });
      throw error;
    }
  }

  async catalog(): Promise<{ ref: PdfRef; dict: PdfDict }> {
    const root = this.trailer.get('Root');
    if (!(root instanceof PdfRef)) throw malformed('trailer has no /Root');
    const dict = await this.resolveDict(root);
    if (!dict) throw malformed('catalog is not a dictionary');
    return { ref: root, dict };
  }

  /** All pages in order, with inherited /MediaBox and /Rotate. */
  async pages(): Promise<PageInfo[]> {
    const { dict: cat } = await this.catalog();
    const pages: PageInfo[] = [];
    const visited = new Set<number>();
    const walk = async (
      nodeRef: PdfValue | undefined,
      inherited: { mediaBox?: PdfValue; cropBox?: PdfValue; rotate?: PdfValue },
    ): Promise<void> => {
      if (!(nodeRef instanceof PdfRef)) throw malformed('page tree node is not a reference');
      if (visited.has(nodeRef.num)) throw malformed('page tree loop');
      visited.add(nodeRef.num);
      const node = await this.resolveDict(nodeRef);
      if (!node) throw malformed('page tree node missing', { object: nodeRef.num });
      const here = {
        mediaBox: node.get('MediaBox') ?? inherited.mediaBox,
        cropBox: node.get('CropBox') ?? inherited.cropBox,
        rotate: node.get('Rotate') ?? inherited.rotate,
      };
      const kids = await this.resolve(node.get('Kids'));
      if (isName(node.get('Type'), 'Pages') || (Array.isArray(kids) && !node.has('Contents'))) {
        if (!Array.isArray(kids)) throw malformed('page tree node without /Kids');
        for (const kid of kids) await walk(kid, here);
        return;
      }
      const box = await this.resolve(here.mediaBox);
      const nums = Array.isArray(box) ? await Promise.all(box.map((x) => this.resolve(x))) : [];
      const mediaBox: [number, number, number, number] =
        nums.length === 4 && nums.every((x) => typeof x === 'number')
          ? [nums[0] as number, nums[1] as number, nums[2] as number, nums[3] as number]
          : [0, 0, 612, 792];
      const crop = await this.resolve(here.cropBox);
      const cropNums = Array.isArray(crop)
        ? await Promise.all(crop.map((x) => this.resolve(x)))
        : [];
      const cropBox =
        cropNums.length === 4 && cropNums.every((x) => typeof x === 'number')
          ? (cropNums as [number, number, number, number])
          : undefined;
      const rotate = asNumber(await this.resolve(here.rotate)) ?? 0;
      pages.push({
        index: pages.length,
        ref: nodeRef,
        dict: node,
        mediaBox,
        ...(cropBox ? { cropBox } : {}),
        rotate,
      });
    };
    await walk(cat.get('Pages'), {});
    if (pages.length === 0) throw malformed('document has no pages');
    return pages;
  }
}
