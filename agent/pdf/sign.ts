/**
 * PAdES B-B signing as one incremental update. Two steps so a batch can collect every
 * digest first and sign them with one token login: prepare (parse, build the increment with
 * a placeholder sized to the CMS, hash the signed ranges in one streaming pass) and finish
 * (embed the CMS, write the output atomically).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  open,
  realpath,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  estimateSignedDataSize,
  prepareSignedData,
  type PreparedSignedData,
  type Signer,
} from '../cms/index.ts';
import { HASH_NODE } from '../cms/index.ts';
import { KysoError } from '../errors/index.ts';
import { parseCertificate } from '../pki/index.ts';
import type { CertificateInfo, HashAlgorithm } from '../tokens/index.ts';
import {
  buildAppearance,
  type AppearanceContext,
  type AppearancePreset,
  type AppearanceRequest,
  type PlacedAppearance,
  type Rect,
} from './appearance/index.ts';
import { readForm } from './fields.ts';
import { IncrementBuilder } from './increment.ts';
import {
  PdfDict,
  PdfName,
  PdfRaw,
  PdfRef,
  PdfString,
  asNumber,
  dict,
  name,
  ref,
  textString,
  type PdfValue,
} from './objects.ts';
import { PdfReader, type PageInfo } from './reader.ts';
import { openSource } from './source.ts';

export type SignaturePreset = AppearancePreset;

/** What the caller says about the appearance; the signer and time come from the signature. */
export type AppearanceOptions = Omit<
  AppearanceRequest,
  'preset' | 'signerName' | 'signerCertificate' | 'signingTime'
>;

export interface SignPdfOptions {
  signer: Signer;
  hash?: HashAlgorithm;
  preset?: SignaturePreset;
  /** Field name; default "Signature<n>". */
  fieldName?: string;
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signer name written to /Name (display only; the certificate is authoritative). */
  signerName?: string;
  /** Certify the document (DocMDP): 1 no changes, 2 form fill + signatures, 3 also annotations. */
  certify?: 1 | 2 | 3;
  /** Appearance details for the preset (image, placement, number, date, ...). */
  appearance?: AppearanceOptions;
  /** Output file (never overwritten: FILE_EXISTS). Without it the signed bytes are returned. */
  output?: string;
}

export interface SignPdfResult {
  fieldName: string;
  /** Present when no output path was given. */
  bytes?: Buffer;
  output?: string;
  size: number;
  byteRange: [number, number, number, number];
  cmsSize: number;
  placeholderSize: number;
}

export interface PreparedPdfSignature {
  hash: HashAlgorithm;
  /** The one digest the token signs (over the CMS signed attributes). */
  toSign: Buffer;
  finish(signature: Buffer): Promise<SignPdfResult>;
  /** Releases files when the batch is abandoned. */
  abort(): Promise<void>;
}

const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';
/** Room for ECDSA length variation and chain differences between estimate and result. */
const CONTENTS_SLACK = 64;

function pdfDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** FILE_EXISTS when the output exists or is the input: checked before asking for a PIN. */
export async function assertOutputFree(input: string | Buffer, output: string): Promise<void> {
  if (typeof input === 'string' && (await realOrSelf(input)) === (await realOrSelf(output))) {
    throw new KysoError('FILE_EXISTS', { path: output, reason: 'output is the input' });
  }
  const exists = await stat(output).then(
    () => true,
    () => false,
  );
  if (exists) throw new KysoError('FILE_EXISTS', { path: output });
}

/** Parses, plans the increment and hashes; the output's temp file waits for finish/abort. */
export async function prepareSignPdf(
  input: string | Buffer,
  options: SignPdfOptions,
): Promise<PreparedPdfSignature> {
  if (options.output !== undefined) await assertOutputFree(input, options.output);
  const source = await openSource(input);
  let temp: { path: string; handle: FileHandle } | undefined;
  let tempPath: string | undefined;
  try {
    const hash = options.hash ?? 'SHA-256';
    const reader = await PdfReader.open(source);
    const plan = await planIncrement(reader, options, input);
    const increment = await plan.builder.build();

    // Locate the placeholders in our own signature dictionary (written first).
    const sigStart = increment.indexOf(`${plan.sigId} 0 obj`);
    const brAt = increment.indexOf(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`, sigStart);
    const contentsAt = increment.indexOf('/Contents <', sigStart);
    if (sigStart < 0 || brAt < 0 || contentsAt < 0) throw new Error('placeholder not found');
    const hexStart = contentsAt + '/Contents '.length; // at "<"
    const hexEnd = hexStart + 2 + plan.placeholderBytes * 2; // after ">"
    const base = source.size;
    const total = base + increment.length;
    const byteRange: [number, number, number, number] = [
      0,
      base + hexStart,
      base + hexEnd,
      total - (base + hexEnd),
    ];
    const brText = `[${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
    if (brText.length !== BYTE_RANGE_PLACEHOLDER.length) {
      throw new KysoError('PDF_UNSUPPORTED', { reason: 'file too large for the byte range' });
    }
    increment.write(brText, brAt + '/ByteRange '.length, 'latin1');

    // One streaming pass hashes the input. A file-to-file signature copies the input with
    // copyFile (in-kernel copy_file_range, or a reflink) at the same time; a buffer input is
    // written from the bytes that were hashed.
    const digest = createHash(HASH_NODE[hash]);
    let copying: Promise<void> = Promise.resolve();
    const kept: Buffer[] | undefined =
      typeof input === 'string' && options.output === undefined ? [] : undefined;
    if (options.output !== undefined) {
      const path = join(
        dirname(options.output),
        `.${basename(options.output)}.${randomBytes(6).toString('hex')}.tmp`,
      );
      if (typeof input === 'string') {
        copying = copyFile(input, path, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
        tempPath = path;
      } else {
        temp = { path, handle: await open(path, 'wx') };
        await temp.handle.write(input, 0, input.length, 0);
      }
    }
    // allSettled: never leave a copy running behind an error (it would outlive the cleanup).
    const settled = await Promise.allSettled([
      copying,
      source.forEachChunk(0, source.size, (chunk) => {
        digest.update(chunk);
        // A path in, bytes out: keep exactly the bytes that were hashed.
        if (kept) kept.push(Buffer.from(chunk));
      }),
    ]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    if (tempPath !== undefined) {
      // copyFile keeps the input's mode: a read-only input must still give a writable output.
      await chmod(tempPath, ((await stat(tempPath)).mode | 0o600) & 0o777);
      temp = { path: tempPath, handle: await open(tempPath, 'r+') };
    }
    if (temp && (await temp.handle.stat()).size !== source.size) {
      throw new KysoError('PDF_MALFORMED', { reason: 'the input changed while it was signed' });
    }
    digest.update(increment.subarray(0, hexStart));
    digest.update(increment.subarray(hexEnd));
    const cms: PreparedSignedData = prepareSignedData(options.signer, digest.digest(), hash);
    const inputBytes = Buffer.isBuffer(input) ? input : kept ? Buffer.concat(kept) : undefined;
    await source.close();

    const cleanup = async (): Promise<void> => {
      if (temp) {
        await temp.handle.close().catch(() => undefined);
        await unlink(temp.path).catch(() => undefined);
        temp = undefined;
      }
    };
    return {
      hash,
      toSign: cms.toSign,
      abort: cleanup,
      finish: async (signature) => {
        try {
          const der = cms.finish(signature);
          if (der.length > plan.placeholderBytes) {
            throw new KysoError('SIGNING_FAILED', {
              reason: 'signature larger than its placeholder',
              size: der.length,
              placeholder: plan.placeholderBytes,
            });
          }
          increment.write(der.toString('hex'), hexStart + 1, 'latin1');
          const result: SignPdfResult = {
            fieldName: plan.fieldName,
            size: total,
            byteRange,
            cmsSize: der.length,
            placeholderSize: plan.placeholderBytes,
          };
          if (temp && options.output !== undefined) {
            await temp.handle.write(increment, 0, increment.length, base);
            await temp.handle.sync();
            await temp.handle.close();
            // link() never replaces an existing file: a race with another writer is FILE_EXISTS.
            try {
              await link(temp.path, options.output);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
                throw new KysoError('FILE_EXISTS', { path: options.output });
              }
              // File systems without hard links (FAT, some network shares): check, then rename.
              await assertOutputFree(temp.path, options.output);
              await rename(temp.path, options.output);
            } finally {
              await unlink(temp.path).catch(() => undefined);
              temp = undefined;
            }
            return { ...result, output: options.output };
          }
          return { ...result, bytes: Buffer.concat([inputBytes ?? Buffer.alloc(0), increment]) };
        } catch (error) {
          await cleanup();
          throw error;
        }
      },
    };
  } catch (error) {
    await source.close().catch(() => undefined);
    await temp?.handle.close().catch(() => undefined);
    const leftover = temp?.path ?? tempPath;
    if (leftover !== undefined) await unlink(leftover).catch(() => undefined);
    throw error;
  }
}

async function realOrSelf(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

interface IncrementPlan {
  builder: IncrementBuilder;
  sigId: number;
  fieldName: string;
  placeholderBytes: number;
}

async function planIncrement(
  reader: PdfReader,
  options: SignPdfOptions,
  input: string | Buffer,
): Promise<IncrementPlan> {
  const builder = new IncrementBuilder(reader);
  const catalog = await reader.catalog();
  const pages = await reader.pages();
  const form = await readForm(reader, catalog.dict);
  const preset = options.preset ?? 'plain';

  // An existing certification signature may forbid further signatures.
  const perms = await reader.resolveDict(catalog.dict.get('Perms'));
  const docMdp = await reader.resolveDict(perms?.get('DocMDP'));
  if (docMdp) {
    const p = await docMdpPermission(reader, docMdp);
    if (p === 1) throw new KysoError('PDF_CERTIFIED_NO_CHANGES');
  }
  if (options.certify !== undefined && form.signatures.some((s) => s.value)) {
    throw new KysoError('INVALID_INPUT', { reason: 'only the first signature can certify' });
  }

  let fieldName = options.fieldName;
  if (fieldName === undefined) {
    for (let n = form.signatures.length + 1; ; n++) {
      if (!form.names.has(`Signature${n}`)) {
        fieldName = `Signature${n}`;
        break;
      }
    }
  }
  // An empty signature field of that name (a template's signature box) is filled in place.
  const target = await emptyFieldTarget(reader, form.signatures, pages, fieldName);
  if (!target && form.names.has(fieldName)) {
    throw new KysoError('INVALID_INPUT', { reason: 'field name already used', field: fieldName });
  }

  const sigId = builder.allocate();
  const fieldId = target?.fieldRef.num ?? builder.allocate();
  const signingTime = options.signingTime ?? new Date();

  const previousApprovalRect = (
    await presetWidgets(reader, form.signatures, pages, ['approval'])
  ).at(-1);
  const earlierTextBoxes = await presetWidgets(reader, form.signatures, pages, [
    'attachment',
    'copy',
  ]);
  const ctx: AppearanceContext = {
    pages: pages.map((p) => ({ index: p.index, mediaBox: p.mediaBox, rotate: p.rotate })),
    allocateObjectId: () => builder.allocate(),
    pdf: typeof input === 'string' ? { path: input } : { bytes: input },
    ...(previousApprovalRect ? { previousApprovalRect } : {}),
    ...(earlierTextBoxes.length > 0 ? { earlierTextBoxes } : {}),
  };
  // Invisible signatures skip the appearance (and parsing the certificate for it).
  let placed: PlacedAppearance | null = null;
  if (preset !== 'plain') {
    const signerInfo = certificateInfo(options.signer.certificate);
    placed = await buildAppearance(
      {
        ...(target && target.pageRotate === 0
          ? { placement: { page: target.pageIndex, rect: target.displayedRect } }
          : {}),
        ...options.appearance,
        preset,
        signerName: options.signerName ?? signerInfo.commonName,
        signerCertificate: signerInfo,
        signingTime,
      },
      ctx,
    );
  }
  const main: PlacedAppearance = placed ?? invisibleAppearance(builder);
  const placements = [main, ...(placed?.extra ?? [])];

  // Contents placeholder sized to this signer's CMS.
  const placeholderBytes =
    estimateSignedDataSize(options.signer, options.hash ?? 'SHA-256') + CONTENTS_SLACK;
  const sig = dict({
    Type: name('Sig'),
    Filter: name('Adobe.PPKLite'),
    SubFilter: name('ETSI.CAdES.detached'),
    ByteRange: new PdfRaw(BYTE_RANGE_PLACEHOLDER),
    Contents: new PdfRaw('<' + '0'.repeat(placeholderBytes * 2) + '>'),
    M: new PdfString(Buffer.from(pdfDate(signingTime), 'latin1')),
    Name: options.signerName !== undefined ? textString(options.signerName) : undefined,
    Reason: options.reason !== undefined ? textString(options.reason) : undefined,
    Location: options.location !== undefined ? textString(options.location) : undefined,
    ContactInfo: options.contactInfo !== undefined ? textString(options.contactInfo) : undefined,
    'Kyso.Preset': name(preset),
    Reference:
      options.certify !== undefined
        ? [
            dict({
              Type: name('SigRef'),
              TransformMethod: name('DocMDP'),
              TransformParams: dict({
                Type: name('TransformParams'),
                P: options.certify,
                V: name('1.2'),
              }),
            }),
          ]
        : undefined,
  });
  builder.add(sigId, sig);

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
  if (options.certify !== undefined) {
    const newPerms = (perms ?? new PdfDict()).clone();
    newPerms.set('DocMDP', ref(sigId));
    newCatalog.set('Perms', newPerms);
    catalogChanged = true;
  }
  if (catalogChanged) builder.add(catalog.ref.num, newCatalog, catalog.ref.gen);

  return { builder, sigId, fieldName, placeholderBytes };
}

interface EmptyFieldTarget {
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
async function emptyFieldTarget(
  reader: PdfReader,
  signatures: Awaited<ReturnType<typeof readForm>>['signatures'],
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

/** CertificateInfo for the appearance, from the certificate alone. */
function certificateInfo(der: Buffer): CertificateInfo {
  return {
    ...parseCertificate(der),
    tokenId: '',
    label: '',
    keyId: '',
    hasPrivateKey: true,
    alwaysAuthenticate: false,
  };
}

function invisibleAppearance(builder: IncrementBuilder): PlacedAppearance {
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

async function docMdpPermission(reader: PdfReader, sig: PdfDict): Promise<number> {
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
async function presetWidgets(
  reader: PdfReader,
  signatures: Awaited<ReturnType<typeof readForm>>['signatures'],
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

/** Signs one PDF: prepare, one token signature, finish. */
export async function signPdf(
  input: string | Buffer,
  options: SignPdfOptions,
): Promise<SignPdfResult> {
  const prepared = await prepareSignPdf(input, options);
  let signature: Buffer;
  try {
    signature = await options.signer.sign(prepared.toSign, prepared.hash);
  } catch (error) {
    await prepared.abort();
    throw error;
  }
  return prepared.finish(signature);
}
