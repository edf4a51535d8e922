/** Finds the signature fields of a document through its AcroForm field tree. */
import { PdfDict, PdfRef, PdfString, isName, type PdfValue } from './objects.ts';
import type { PdfReader } from './reader.ts';

export interface SignatureField {
  ref: PdfRef | undefined;
  /** Fully qualified field name (parent names joined with "."). */
  name: string;
  dict: PdfDict;
  /** The signature dictionary (/V), when signed. */
  valueRef: PdfRef | undefined;
  value: PdfDict | undefined;
  /** Widget annotations: the field itself when merged, else its kids. */
  widgets: { ref: PdfRef | undefined; dict: PdfDict }[];
}

export interface FormInfo {
  /** The catalog's /AcroForm value: a reference, a direct dictionary or absent. */
  acroFormValue: PdfValue | undefined;
  acroForm: PdfDict | undefined;
  /** Top-level /Fields entries, as written. */
  fields: PdfValue[];
  /** Every field's fully qualified name, for choosing a new unique one. */
  names: Set<string>;
  signatures: SignatureField[];
}

export async function readForm(reader: PdfReader, catalog: PdfDict): Promise<FormInfo> {
  const acroFormValue = catalog.get('AcroForm');
  const acroForm = await reader.resolveDict(acroFormValue);
  const fieldsValue = await reader.resolve(acroForm?.get('Fields'));
  const fields = Array.isArray(fieldsValue) ? fieldsValue : [];
  const names = new Set<string>();
  const signatures: SignatureField[] = [];
  const seen = new Set<number>();

  const visit = async (
    value: PdfValue,
    parentName: string,
    inheritedFt: PdfValue | undefined,
    depth: number,
  ): Promise<void> => {
    if (depth > 32) return;
    const ref = value instanceof PdfRef ? value : undefined;
    if (ref) {
      if (seen.has(ref.num)) return;
      seen.add(ref.num);
    }
    const dict = await reader.resolveDict(value);
    if (!dict) return;
    const t = dict.get('T');
    const partial = t instanceof PdfString ? t.text() : undefined;
    const name =
      partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
    if (name) names.add(name);
    const ft = dict.get('FT') ?? inheritedFt;
    const kidsValue = await reader.resolve(dict.get('Kids'));
    const kids = Array.isArray(kidsValue) ? kidsValue : [];
    // Kids without /T are widgets of this field, not child fields.
    const kidDicts = await Promise.all(
      kids.map(async (k) => ({ k, d: await reader.resolveDict(k) })),
    );
    const childFields = kidDicts.filter((x) => x.d?.has('T'));
    if (isName(ft, 'Sig') && partial !== undefined) {
      const v = dict.get('V');
      const widgets = isName(dict.get('Subtype'), 'Widget')
        ? [{ ref, dict }]
        : kidDicts
            .filter((x) => x.d && !x.d.has('T'))
            .map((x) => ({ ref: x.k instanceof PdfRef ? x.k : undefined, dict: x.d as PdfDict }));
      signatures.push({
        ref,
        name,
        dict,
        valueRef: v instanceof PdfRef ? v : undefined,
        value: await reader.resolveDict(v),
        widgets,
      });
    }
    for (const child of childFields) await visit(child.k, name, ft, depth + 1);
  };
  for (const f of fields) await visit(f, '', undefined, 0);
  return { acroFormValue, acroForm, fields, names, signatures };
}
