/**
 * Drops a TrueType subset's hinting: the tables only a hinting rasteriser reads (fpgm, prep,
 * cvt, hdmx, VDMX, LTSH, gasp, DSIG) and every glyph's instructions in glyf. Signature text is
 * drawn at 10-13 pt and printed; viewers scale outlines without hints, and each signature
 * embeds its own subset, so the bytes matter (about half of a subset is hinting).
 */

const DROP = new Set(['fpgm', 'prep', 'cvt ', 'hdmx', 'VDMX', 'LTSH', 'gasp', 'DSIG']);

interface Table {
  tag: string;
  data: Buffer;
}

function checksum(data: Buffer): number {
  let sum = 0;
  const padded =
    data.length % 4 ? Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]) : data;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
  return sum;
}

/** One glyph without its instructions (simple: instructionLength 0; composite: flag cleared). */
function stripGlyph(glyph: Buffer): Buffer {
  if (glyph.length < 10) return glyph;
  const contours = glyph.readInt16BE(0);
  if (contours >= 0) {
    const lengthAt = 10 + 2 * contours;
    if (lengthAt + 2 > glyph.length) return glyph;
    const instructions = glyph.readUInt16BE(lengthAt);
    if (instructions === 0) return glyph;
    const out = Buffer.concat([
      glyph.subarray(0, lengthAt),
      Buffer.alloc(2),
      glyph.subarray(lengthAt + 2 + instructions),
    ]);
    return out;
  }
  // Composite: walk the components; the last one's WE_HAVE_INSTRUCTIONS (0x100) says
  // instructions follow the component records.
  let at = 10;
  let lastFlagsAt: number;
  for (;;) {
    if (at + 4 > glyph.length) return glyph;
    const flags = glyph.readUInt16BE(at);
    lastFlagsAt = at;
    at += 4; // flags, glyphIndex
    at += flags & 0x1 ? 4 : 2; // ARG_1_AND_2_ARE_WORDS
    if (flags & 0x8)
      at += 2; // WE_HAVE_A_SCALE
    else if (flags & 0x40)
      at += 4; // WE_HAVE_AN_X_AND_Y_SCALE
    else if (flags & 0x80) at += 8; // WE_HAVE_A_TWO_BY_TWO
    if (!(flags & 0x20)) break; // MORE_COMPONENTS
  }
  if (at > glyph.length) return glyph;
  const out = Buffer.from(glyph.subarray(0, at));
  const flags = out.readUInt16BE(lastFlagsAt);
  out.writeUInt16BE(flags & ~0x100, lastFlagsAt);
  return out;
}

/** The font without hinting; returns the input unchanged when it is not a plain TrueType. */
export function stripHinting(font: Buffer): Buffer {
  if (font.length < 12) return font;
  const version = font.readUInt32BE(0);
  if (version !== 0x00010000 && version !== 0x74727565) return font;
  const count = font.readUInt16BE(4);
  const tables = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const rec = 12 + 16 * i;
    if (rec + 16 > font.length) return font;
    const tag = font.toString('latin1', rec, rec + 4);
    const offset = font.readUInt32BE(rec + 8);
    const length = font.readUInt32BE(rec + 12);
    if (offset + length > font.length) return font;
    tables.set(tag, font.subarray(offset, offset + length));
  }
  const head = tables.get('head');
  const loca = tables.get('loca');
  const glyf = tables.get('glyf');
  const maxp = tables.get('maxp');
  if (!head || !loca || !glyf || !maxp || head.length < 54) return font;
  const longLoca = head.readInt16BE(50) === 1;
  const glyphCount = maxp.readUInt16BE(4);
  const offsetAt = (i: number): number =>
    longLoca ? loca.readUInt32BE(4 * i) : 2 * loca.readUInt16BE(2 * i);
  if (loca.length < (longLoca ? 4 : 2) * (glyphCount + 1)) return font;

  const glyphs: Buffer[] = [];
  const offsets: number[] = [0];
  let size = 0;
  for (let i = 0; i < glyphCount; i++) {
    const start = offsetAt(i);
    const end = offsetAt(i + 1);
    let g =
      end > start && end <= glyf.length ? stripGlyph(glyf.subarray(start, end)) : Buffer.alloc(0);
    if (g.length % 4) g = Buffer.concat([g, Buffer.alloc(4 - (g.length % 4))]);
    glyphs.push(g);
    size += g.length;
    offsets.push(size);
  }
  const newGlyf = Buffer.concat(glyphs);
  const newLoca = Buffer.alloc(4 * (glyphCount + 1));
  offsets.forEach((o, i) => newLoca.writeUInt32BE(o, 4 * i));
  const newHead = Buffer.from(head);
  newHead.writeInt16BE(1, 50); // long loca
  newHead.writeUInt32BE(0, 8); // checkSumAdjustment, set below
  const newMaxp = Buffer.from(maxp);
  if (newMaxp.length >= 32) {
    // maxZones 1, no twilight points, storage, function/instruction defs, stack, instructions.
    newMaxp.writeUInt16BE(1, 14);
    for (const at of [16, 18, 20, 22, 24, 26]) newMaxp.writeUInt16BE(0, at);
  }

  const out: Table[] = [];
  for (const [tag, data] of tables) {
    if (DROP.has(tag)) continue;
    const replaced =
      tag === 'glyf'
        ? newGlyf
        : tag === 'loca'
          ? newLoca
          : tag === 'head'
            ? newHead
            : tag === 'maxp'
              ? newMaxp
              : data;
    out.push({ tag, data: replaced });
  }
  out.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));

  const n = out.length;
  let pow = 1;
  let log = 0;
  while (pow * 2 <= n) {
    pow *= 2;
    log++;
  }
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(pow * 16, 6);
  header.writeUInt16BE(log, 8);
  header.writeUInt16BE(n * 16 - pow * 16, 10);
  const bodies: Buffer[] = [];
  let offset = header.length;
  let headOffset = -1;
  out.forEach((t, i) => {
    const rec = 12 + 16 * i;
    header.write(t.tag, rec, 4, 'latin1');
    header.writeUInt32BE(checksum(t.data), rec + 4);
    header.writeUInt32BE(offset, rec + 8);
    header.writeUInt32BE(t.data.length, rec + 12);
    if (t.tag === 'head') headOffset = offset;
    const pad = (4 - (t.data.length % 4)) % 4;
    bodies.push(t.data, Buffer.alloc(pad));
    offset += t.data.length + pad;
  });
  const result = Buffer.concat([header, ...bodies]);
  if (headOffset >= 0) result.writeUInt32BE((0xb1b0afba - checksum(result)) >>> 0, headOffset + 8);
  return result;
}
