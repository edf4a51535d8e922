/**
 * Where a new signature goes: its field (new, or a template's empty one filled in place), its
 * widgets on the pages, the AcroForm and DocMDP entries; and what earlier signatures allow.
 */
import { KysoError } from '../errors/index.ts';
import type { PlacedAppearance, Rect } from './appearance/index.ts';
import type { FormInfo, SignatureField } from './fields.ts';
import type { IncrementBuilder } from './increment.ts';
import {
  PdfDict,
  PdfName,
  PdfRef,
  asNumber,
  dict,
  name,
  ref,
  textString,
  type PdfValue,
} from './objects.ts';
import type { PageInfo, PdfReader } from './reader.ts';

/** The requested field name, or the first free "Signature<n>". */
export function newFieldName(form: FormInfo, requested: string | undefined): string {
  if (requested !== undefined) return requested;
  for (let n = form.signatures.length + 1; ; n++) {
    if (!form.names.has(`Signature${n}`)) return `Signature${n}`;
  }
}

export interface EmptyFieldTarget {
  fieldRef: PdfRef;
  field: PdfDict;
  widgetRef: PdfRef;
  widget: PdfDict;
  pageIndex: number;
  pageRotate: number;
  /** The widget rectangle relative to the page's MediaBox origin (as the appearance wants it). */
  displayedRect: Rect;
}

/** The unsigned signature field named `name`, with its single widget, page and rectangle. */
export async function emptyFieldTarget(
  reader: PdfReader,
  signatures: SignatureField[],
  pages: PageInfo[],
  name: string,
): Promise<EmptyFieldTarget | undefined> {
  const field = signatures.find((s) => s.name === name);
  if (!field) return undefined;
  if (field.value) {
    throw new KysoError('INVALID_INPUT', { reason: 'field already signed', field: name });
  }
  const widget = field.widgets[0];
  if (!field.ref || !widget?.ref || field.widgets.length !== 1) {
    throw new KysoError('PDF_UNSUPPORTED', { reason: 'signature field layout', field: name });
  }
  const widgetRef = widget.ref;
  const p = widget.dict.get('P');
  let pageIndex = p instanceof PdfRef ? pages.findIndex((pg) => pg.ref.num === p.num) : -1;
  if (pageIndex < 0) {
    for (const page of pages) {
      const annots = await reader.resolve(page.dict.get('Annots'));
      if (
        Array.isArray(annots) &&
        annots.some((a) => a instanceof PdfRef && a.num === widgetRef.num)
      ) {
        pageIndex = page.index;
        break;
      }
    }
  }
  const rectValue = await reader.resolve(widget.dict.get('Rect'));
  const nums = Array.isArray(rectValue)
    ? rectValue.map((v) => (typeof v === 'number' ? v : NaN))
    : [];
  const page = pages[pageIndex];
  if (!page || nums.length !== 4 || nums.some((n) => Number.isNaN(n))) {
    throw new KysoError('PDF_UNSUPPORTED', {
      reason: 'signature field without page or rectangle',
      field: name,
    });
  }
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = nums;
  const [ox, oy] = page.mediaBox;
  const displayedRect: Rect = [
    Math.min(x1, x2) - ox,
    Math.min(y1, y2) - oy,
    Math.max(x1, x2) - ox,
    Math.max(y1, y2) - oy,
  ];
  return {
    fieldRef: field.ref,
    field: field.dict,
    widgetRef,
    widget: widget.dict,
    pageIndex,
    pageRotate: page.rotate,
    displayedRect,
  };
}

export function invisibleAppearance(builder: IncrementBuilder): PlacedAppearance {
  const id = builder.allocate();
  const body = Buffer.from(
    '<</Type /XObject /Subtype /Form /BBox [0 0 0 0] /Resources <<>> /Length 0>>\nstream\n\nendstream',
    'latin1',
  );
  return { pageIndex: 0, rect: [0, 0, 0, 0], objects: [{ id, body }], normalAppearanceId: id };
}

/** Appends widgets to the page's /Annots: a new revision of the array object, or of the page. */
async function addAnnotations(
  reader: PdfReader,
  builder: IncrementBuilder,
  page: PageInfo,
  widgets: PdfRef[],
): Promise<void> {
  const annots = page.dict.get('Annots');
  if (annots instanceof PdfRef) {
    const existing = await reader.resolve(annots);
    if (Array.isArray(existing)) {
      builder.add(annots.num, [...existing, ...widgets], annots.gen);
      return;
    }
  }
  const current = Array.isArray(annots) ? annots : [];
  const newPage = page.dict.clone();
  newPage.set('Annots', [...current, ...widgets]);
  builder.add(page.ref.num, newPage, page.ref.gen);
}

export async function docMdpPermission(reader: PdfReader, sig: PdfDict): Promise<number> {
  const refs = await reader.resolve(sig.get('Reference'));
  for (const r of Array.isArray(refs) ? refs : []) {
    const d = await reader.resolveDict(r);
    if (!d || !(d.get('TransformMethod') instanceof PdfName)) continue;
    if ((d.get('TransformMethod') as PdfName).name !== 'DocMDP') continue;
    const params = await reader.resolveDict(d.get('TransformParams'));
    return asNumber(params?.get('P')) ?? 2;
  }
  return 2;
}

/** Widget rects of earlier signatures made with the given presets, oldest first. */
export async function presetWidgets(
  reader: PdfReader,
  signatures: SignatureField[],
  pages: PageInfo[],
  presets: readonly string[],
): Promise<{ pageIndex: number; rect: Rect }[]> {
  const found: { pageIndex: number; rect: Rect }[] = [];
  for (const s of signatures) {
    const preset = s.value?.get('Kyso.Preset');
    if (!(preset instanceof PdfName) || !presets.includes(preset.name)) continue;
    const widget = s.widgets[0];
    if (!widget) continue;
    const rectValue = await reader.resolve(widget.dict.get('Rect'));
    const p = widget.dict.get('P');
    const pageIndex = p instanceof PdfRef ? pages.findIndex((pg) => pg.ref.num === p.num) : -1;
    if (!Array.isArray(rectValue) || rectValue.length !== 4 || pageIndex < 0) continue;
    const nums = rectValue.map((v: PdfValue) => (typeof v === 'number' ? v : 0));
    found.push({ pageIndex, rect: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0, nums[3] ?? 0] });
  }
  return found;
}

export interface NewSignatureField {
  catalog: { ref: PdfRef; dict: PdfDict };
  pages: PageInfo[];
  form: FormInfo;
  /** The catalog's /Perms, when it has one. */
  perms: PdfDict | undefined;
  target: EmptyFieldTarget | undefined;
  fieldName: string;
  fieldId: number;
  sigId: number;
  /** The first widget's appearance; `placed` is null for an invisible signature. */
  main: PlacedAppearance;
  placed: PlacedAppearance | null;
  certify: 1 | 2 | 3 | undefined;
}

/** Adds the field, its widgets and the page, AcroForm and catalog updates to the increment. */
export async function addSignatureField(
  reader: PdfReader,
  builder: IncrementBuilder,
  field: NewSignatureField,
): Promise<void> {
  const { catalog, pages, form, perms, target, fieldName, fieldId, sigId, main, placed } = field;
  const placements = [main, ...(placed?.extra ?? [])];
  // Field and widgets: merged into one object for a single widget, else a parent with kids.
  const pageUpdates = new Map<number, PdfRef[]>();
  const widgetFor = (p: PlacedAppearance, widgetRef: PdfRef, merged: boolean): PdfDict => {
    const page = pages[p.pageIndex];
    if (!page)
      throw new KysoError('INVALID_INPUT', { reason: 'page out of range', page: p.pageIndex });
    const list = pageUpdates.get(page.index) ?? [];
    list.push(widgetRef);
    pageUpdates.set(page.index, list);
    for (const o of p.objects) builder.add(o.id, o.body);
    return dict({
      Type: name('Annot'),
      Subtype: name('Widget'),
      ...(merged
        ? { FT: name('Sig'), T: textString(fieldName), V: ref(sigId) }
        : // /FT and /V repeated on each kid: poppler reads the signature from the widget
          // and otherwise reports the extra widgets as unsigned signature fields.
          { Parent: ref(fieldId), FT: name('Sig'), V: ref(sigId) }),
      F: 132, // Print + Locked
      P: page.ref,
      Rect: [...p.rect],
      AP: dict({ N: ref(p.normalAppearanceId) }),
    });
  };
  if (target) {
    if (placements.length > 1 || (placed && placed.pageIndex !== target.pageIndex)) {
      throw new KysoError('PDF_UNSUPPORTED', {
        reason: 'the appearance does not fit the existing signature field',
        field: fieldName,
      });
    }
    for (const o of main.objects) builder.add(o.id, o.body);
    // Only /V and /AP change: the widget keeps its /Rect (the appearance was built for it).
    const widget = target.widget.clone();
    widget.set('AP', dict({ N: ref(main.normalAppearanceId) }));
    widget.set('V', ref(sigId));
    if (target.widgetRef.num === target.fieldRef.num) {
      builder.add(target.fieldRef.num, widget, target.fieldRef.gen);
    } else {
      // As for kids above: poppler reads the signature from the widget.
      widget.set('FT', name('Sig'));
      builder.add(target.widgetRef.num, widget, target.widgetRef.gen);
      builder.add(
        target.fieldRef.num,
        target.field.clone().set('V', ref(sigId)),
        target.fieldRef.gen,
      );
    }
  } else if (placements.length === 1) {
    builder.add(fieldId, widgetFor(main, ref(fieldId), true));
  } else {
    const kids = placements.map((p) => {
      const id = builder.allocate();
      builder.add(id, widgetFor(p, ref(id), false));
      return ref(id);
    });
    builder.add(
      fieldId,
      dict({ FT: name('Sig'), T: textString(fieldName), V: ref(sigId), Kids: kids }),
    );
  }
  for (const [pageIndex, widgets] of pageUpdates) {
    const page = pages[pageIndex] as PageInfo;
    await addAnnotations(reader, builder, page, widgets);
  }

  // AcroForm with the new field and SigFlags 3 (signatures exist, append only).
  let catalogChanged = false;
  const newCatalog = catalog.dict.clone();
  const acroForm = (form.acroForm ?? new PdfDict()).clone();
  if (!target) acroForm.set('Fields', [...form.fields, ref(fieldId)]);
  acroForm.set('SigFlags', 3);
  if (form.acroFormValue instanceof PdfRef && form.acroForm) {
    builder.add(form.acroFormValue.num, acroForm, form.acroFormValue.gen);
  } else {
    const acroId = builder.allocate();
    builder.add(acroId, acroForm);
    newCatalog.set('AcroForm', ref(acroId));
    catalogChanged = true;
  }
  if (field.certify !== undefined) {
    const newPerms = (perms ?? new PdfDict()).clone();
    newPerms.set('DocMDP', ref(sigId));
    newCatalog.set('Perms', newPerms);
    catalogChanged = true;
  }
  if (catalogChanged) builder.add(catalog.ref.num, newCatalog, catalog.ref.gen);
}
