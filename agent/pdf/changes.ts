/**
 * Change classification (diff analysis, apart from validation): what the revisions after a
 * signature changed, signatures only or anything else.
 */
import { PdfDict, PdfStream, isName, serialize, type PdfValue } from './objects.ts';
import type { PdfReader } from './reader.ts';

export type ChangesAfterSigning = 'none' | 'signatures-only' | 'other';

/**
 * Classifies what later revisions changed: new signatures (signature dictionaries, signature
 * widgets, their appearances, the AcroForm and /Annots lists growing, catalog /AcroForm /Perms
 * /DSS) or anything else. Each increment is classified once and shared by all signatures.
 */
export class ChangeClassifier {
  private readonly cache = new Map<number, Promise<ChangesAfterSigning>>();
  constructor(
    private readonly reader: PdfReader,
    private readonly size: number,
  ) {}

  async after(signedEnd: number): Promise<ChangesAfterSigning> {
    if (signedEnd >= this.size) return 'none';
    const later = this.reader.sections
      .map((s, index) => ({ s, index }))
      .filter(({ s }) => s.offset > signedEnd);
    if (later.length === 0) return 'other'; // bytes after the signature that are not a revision
    for (const { index } of later) {
      let p = this.cache.get(index);
      if (!p) {
        p = this.classify(index).catch(() => 'other' as const);
        this.cache.set(index, p);
      }
      if ((await p) === 'other') return 'other';
    }
    return 'signatures-only';
  }

  /** The increment that sections[index] added on top of sections[index + 1]. */
  private async classify(index: number): Promise<ChangesAfterSigning> {
    const section = this.reader.sections[index];
    if (!section || index + 1 >= this.reader.sections.length) return 'other';
    const now = this.reader.revision(index);
    const old = this.reader.revision(index + 1);
    for (const num of new Set(section.objects)) {
      const value = await now.getObject(num);
      if (value instanceof PdfStream) {
        const t = value.dict.get('Type');
        if (isName(t, 'XRef') || isName(t, 'ObjStm')) continue;
      }
      if (!old.xref.has(num)) {
        // New objects only matter if they add non-signature annotations or fields.
        const d = value instanceof PdfStream ? value.dict : value;
        if (d instanceof PdfDict) {
          if (d.has('FT') && !isName(d.get('FT'), 'Sig')) return 'other';
          if (isName(d.get('Type'), 'Annot') && !isName(d.get('Subtype'), 'Widget')) return 'other';
        }
        continue;
      }
      const before = await old.getObject(num);
      if (!allowedChange(before, value, await isSignatureFieldPart(before, old))) return 'other';
    }
    return 'signatures-only';
  }
}

const ALLOWED_KEYS = new Set([
  'FT',
  'Annots',
  'AcroForm',
  'Perms',
  'DSS',
  'Extensions',
  'Fields',
  'SigFlags',
  'DR',
  'DA',
  'V',
  'AP',
]);

function same(a: PdfValue | undefined, b: PdfValue | undefined): boolean {
  if (a instanceof PdfStream || b instanceof PdfStream) {
    return (
      a instanceof PdfStream &&
      b instanceof PdfStream &&
      a.raw.equals(b.raw) &&
      same(a.dict, b.dict)
    );
  }
  if (a === undefined || b === undefined) return a === b;
  return serialize(a) === serialize(b);
}

/** A signature field, or a widget whose parent is one, as it was before the change. */
async function isSignatureFieldPart(before: PdfValue, old: PdfReader): Promise<boolean> {
  if (!(before instanceof PdfDict)) return false;
  if (isName(before.get('FT'), 'Sig')) return true;
  if (!isName(before.get('Subtype'), 'Widget')) return false;
  const parent = await old.resolveDict(before.get('Parent'));
  return isName(parent?.get('FT'), 'Sig');
}

function allowedChange(before: PdfValue, now: PdfValue, signatureField = false): boolean {
  if (same(before, now)) return true;
  if (Array.isArray(before) && Array.isArray(now)) {
    // /Annots or /Fields arrays may only grow.
    const keys = new Set(now.map((v) => serialize(v)));
    return before.every((v) => keys.has(serialize(v)));
  }
  if (before instanceof PdfStream || now instanceof PdfStream) return false;
  if (!(before instanceof PdfDict) || !(now instanceof PdfDict)) return false;
  const keys = new Set([...before.map.keys(), ...now.map.keys()]);
  for (const k of keys) {
    if (same(before.get(k), now.get(k))) continue;
    if (!ALLOWED_KEYS.has(k)) return false;
    const b = before.get(k);
    const n = now.get(k);
    if ((k === 'Annots' || k === 'Fields') && Array.isArray(b) && Array.isArray(n)) {
      if (!allowedChange(b, n)) return false;
    }
    // Filling an empty signature field (/V, /AP, /FT /Sig on its widget) is allowed only on
    // what was a signature field or its widget before.
    if ((k === 'V' || k === 'AP' || k === 'FT') && !signatureField) return false;
    if (k === 'FT' && !(b === undefined && isName(n, 'Sig'))) return false;
  }
  return true;
}
