/**
 * Change classification (diff analysis, apart from validation): what the revisions after a
 * signature changed, signatures only or which other kinds of change.
 */
import { PdfDict, PdfRef, PdfStream, isName, serialize, type PdfValue } from './objects.ts';
import type { PdfReader } from './reader.ts';

export type ChangesAfterSigning = 'none' | 'signatures-only' | 'other';

/** What a later revision changed, apart from adding signatures. */
export type ChangeKind =
  'annotation' | 'form-fill' | 'page-content' | 'metadata' | 'pages' | 'other';

/** Every kind in the order reports list them. */
export const CHANGE_KINDS: readonly ChangeKind[] = [
  'annotation',
  'form-fill',
  'page-content',
  'metadata',
  'pages',
  'other',
];

export interface ChangeSummary {
  /**
   * `none`: nothing after the signed bytes. `signatures-only`: later revisions add signatures
   * and at most update the document metadata (/Info, XMP), as signing tools do along with their
   * signature. `other`: anything else (see `kinds`).
   */
  changes: ChangesAfterSigning;
  /** Non-signature kinds found in the later revisions (metadata included), in CHANGE_KINDS order. */
  kinds: ChangeKind[];
}

/** One increment: the kinds it changed; 'signature' is adding or filling signatures. */
type IncrementKind = ChangeKind | 'signature';

/** Kinds that do not make a signature "changed after signing". */
const NEUTRAL: ReadonlySet<IncrementKind> = new Set(['signature', 'metadata']);

/**
 * Classifies what later revisions changed: new signatures (signature dictionaries, signature
 * widgets, their appearances, the AcroForm and /Annots lists growing, catalog /AcroForm /Perms
 * /DSS), metadata (/Info, XMP), annotations, form fill-in, page content, the page tree, or
 * anything else. Each increment is classified once and shared by all signatures.
 */
export class ChangeClassifier {
  private readonly cache = new Map<number, Promise<Set<IncrementKind>>>();
  /** Revision readers by section index: increment i's "before" is increment i+1's "after". */
  private readonly revisions = new Map<number, PdfReader>();
  constructor(
    private readonly reader: PdfReader,
    private readonly size: number,
  ) {}

  async after(signedEnd: number): Promise<ChangeSummary> {
    if (signedEnd >= this.size) return { changes: 'none', kinds: [] };
    const later = this.reader.sections
      .map((s, index) => ({ s, index }))
      .filter(({ s }) => s.offset > signedEnd);
    // Bytes after the signature that are not a revision.
    if (later.length === 0) return { changes: 'other', kinds: ['other'] };
    const found = new Set<IncrementKind>();
    for (const { index } of later) {
      let p = this.cache.get(index);
      if (!p) {
        p = this.classify(index).catch(() => new Set<IncrementKind>(['other']));
        this.cache.set(index, p);
      }
      for (const k of await p) found.add(k);
    }
    const kinds = CHANGE_KINDS.filter((k) => found.has(k));
    const other = [...found].some((k) => !NEUTRAL.has(k));
    return { changes: other ? 'other' : 'signatures-only', kinds };
  }

  private revision(index: number): PdfReader {
    let r = this.revisions.get(index);
    if (!r) {
      r = this.reader.revision(index);
      this.revisions.set(index, r);
    }
    return r;
  }

  /**
   * Object `num` as revision `r` has it: from the document's own reader when both point at the
   * same offset, so what it parsed already (every signature dictionary, by readForm) is not
   * parsed again. Only for objects stored at an offset: one in an object stream is read
   * through that revision's own copy of the stream.
   */
  private object(r: PdfReader, num: number): Promise<PdfValue> {
    const theirs = r.xref.get(num);
    const latest = this.reader.xref.get(num);
    const same =
      theirs?.type === 1 &&
      latest?.type === 1 &&
      theirs.offset === latest.offset &&
      theirs.gen === latest.gen;
    return same ? this.reader.getObject(num) : r.getObject(num);
  }

  /** The increment that sections[index] added on top of sections[index + 1]. */
  private async classify(index: number): Promise<Set<IncrementKind>> {
    const kinds = new Set<IncrementKind>();
    const section = this.reader.sections[index];
    if (!section || index + 1 >= this.reader.sections.length) return new Set(['other']);
    const now = this.revision(index);
    const old = this.revision(index + 1);
    const refNum = (r: PdfReader, key: string): number | undefined => {
      const v = r.trailer.get(key);
      return v instanceof PdfRef ? v.num : undefined;
    };
    const info = new Set([refNum(now, 'Info'), refNum(old, 'Info')]);
    info.delete(undefined);
    if (refNum(now, 'Info') !== refNum(old, 'Info')) kinds.add('metadata');
    if (refNum(now, 'Root') !== refNum(old, 'Root')) kinds.add('other');
    const catalog = refNum(now, 'Root');
    for (const num of new Set(section.objects)) {
      const value = await this.object(now, num);
      if (value instanceof PdfStream) {
        const t = value.dict.get('Type');
        if (isName(t, 'XRef') || isName(t, 'ObjStm')) continue;
      }
      if (!old.xref.has(num)) {
        kinds.add(newObjectKind(value, info.has(num)));
        continue;
      }
      const before = await this.object(old, num);
      if (same(before, value)) continue;
      if (info.has(num)) kinds.add('metadata');
      else
        for (const k of await changedObjectKinds(before, value, old, num === catalog)) kinds.add(k);
    }
    return kinds;
  }
}

/** A new object matters only if it adds a page, a non-signature annotation or field. */
function newObjectKind(value: PdfValue, isInfo: boolean): IncrementKind {
  if (isInfo) return 'metadata';
  const d = value instanceof PdfStream ? value.dict : value;
  if (!(d instanceof PdfDict)) return 'signature';
  if (d.has('FT') && !isName(d.get('FT'), 'Sig')) return 'other';
  // /Type is optional in annotation dictionaries: /Subtype with /Rect is one too.
  const annotation =
    isName(d.get('Type'), 'Annot') ||
    (!(value instanceof PdfStream) && d.has('Subtype') && d.has('Rect'));
  if (annotation && !isName(d.get('Subtype'), 'Widget')) return 'annotation';
  if (isName(d.get('Type'), 'Page') || isName(d.get('Type'), 'Pages')) return 'pages';
  return 'signature';
}

const FORM_FILL_KEYS = new Set(['V', 'AS', 'AP', 'DA', 'MK', 'NeedAppearances']);

/**
 * A signing-related entry (/Annots, /Fields, /AcroForm …) changed the way signing does: arrays
 * may only grow (or appear); other values (a direct /AcroForm moved to an object, a new
 * reference) are allowed, as what they point to is classified on its own.
 */
const grows = (b: PdfValue | undefined, n: PdfValue | undefined): boolean =>
  Array.isArray(b) && Array.isArray(n)
    ? allowedChange(b, n)
    : !(Array.isArray(b) && b.length > 0 && n === undefined);

/** What changed in an existing object, by what the object was before. */
async function changedObjectKinds(
  before: PdfValue,
  now: PdfValue,
  old: PdfReader,
  isCatalog: boolean,
): Promise<IncrementKind[]> {
  if (before instanceof PdfStream || now instanceof PdfStream) {
    const d = before instanceof PdfStream ? before.dict : (now as PdfStream).dict;
    return [isName(d.get('Type'), 'Metadata') ? 'metadata' : 'page-content'];
  }
  if (!(before instanceof PdfDict) || !(now instanceof PdfDict)) {
    return [allowedChange(before, now) ? 'signature' : 'other'];
  }
  const differing = [...new Set([...before.map.keys(), ...now.map.keys()])].filter(
    (k) => !same(before.get(k), now.get(k)),
  );
  const type = before.get('Type');
  const subtype = before.get('Subtype');
  if (isCatalog || isName(type, 'Catalog')) {
    return differing.map((k) => {
      if (k === 'Metadata') return 'metadata';
      if (k === 'Pages') return 'pages';
      return ALLOWED_KEYS.has(k) && grows(before.get(k), now.get(k)) ? 'signature' : 'other';
    });
  }
  if (isName(type, 'Pages')) return ['pages'];
  if (isName(type, 'Page')) {
    // /Annots growing adds widgets or annotations (the new objects say which); shrinking or
    // reordering removes annotations. Anything else changes what the page shows.
    return differing.map((k) => {
      if (k === 'Annots') return grows(before.get(k), now.get(k)) ? 'signature' : 'annotation';
      return k === 'Parent' ? 'pages' : 'page-content';
    });
  }
  if (await isSignatureFieldPart(before, old)) {
    return [allowedChange(before, now, true) ? 'signature' : 'other'];
  }
  if (before.has('Fields')) {
    // The AcroForm: fields added (new objects say which kind), appearances to regenerate.
    return differing.map((k) => {
      if (k === 'NeedAppearances') return 'form-fill';
      return ALLOWED_KEYS.has(k) && grows(before.get(k), now.get(k)) ? 'signature' : 'other';
    });
  }
  const isField =
    before.has('FT') ||
    isName(subtype, 'Widget') ||
    (subtype === undefined && (before.has('T') || before.has('Parent')));
  if (isField) {
    return differing.map((k) => (FORM_FILL_KEYS.has(k) ? 'form-fill' : 'other'));
  }
  if (isName(type, 'Annot') || (subtype !== undefined && before.has('Rect'))) {
    return ['annotation'];
  }
  return [allowedChange(before, now) ? 'signature' : 'other'];
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
