/**
 * PAdES B-B signing as one incremental update. Two steps so a batch can collect every
 * digest first and sign them with one token login: prepare (parse, build the increment with
 * a placeholder sized to the CMS, hash the signed ranges in one streaming pass) and finish
 * (embed the CMS, write the output atomically).
 */
import { createHash, type Hash } from 'node:crypto';
import {
  HASH_NODE,
  estimateSignedDataSize,
  prepareSignedData,
  type PreparedSignedData,
  type Signer,
} from '../cms/index.ts';
import { KysoError } from '../errors/index.ts';
import { parseCertificate } from '../pki/index.ts';
import { signWarning, type SignWarning } from '../protocol/index.ts';
import type { CertificateInfo, HashAlgorithm } from '../tokens/index.ts';
import type { AppearanceContext, PlacedAppearance } from './appearance/index.ts';
import { readForm } from './fields.ts';
import { IncrementBuilder } from './increment.ts';
import { assertOutputFree, TempOutput } from './output.ts';
import { PdfReader } from './reader.ts';
import type {
  InputDigest,
  PreparedPdfSignature,
  SignPdfOptions,
  SignPdfResult,
} from './sign-options.ts';
import {
  CONTENTS_SLACK,
  signatureDictionary,
  writeByteRange,
  writeContents,
} from './signature-dict.ts';
import { openSource } from './source.ts';
import {
  addSignatureField,
  docMdpPermission,
  emptyFieldTarget,
  invisibleAppearance,
  newFieldName,
  presetWidgets,
} from './widgets.ts';

/** Parses, plans the increment and hashes; the output's temp file waits for finish/abort. */
export async function prepareSignPdf(
  input: string | Buffer,
  options: SignPdfOptions,
): Promise<PreparedPdfSignature> {
  if (options.output !== undefined && options.ownOutput !== true) {
    await assertOutputFree(input, options.output);
  }
  const hash = options.hash ?? 'SHA-256';
  let temp: TempOutput | undefined;
  // An input hashed already (an upload) and signed to a file is copied first and read from
  // its copy: no second file opened, and what is parsed is what the output holds.
  if (typeof input === 'string' && options.output !== undefined && options.inputDigest) {
    temp = await TempOutput.copyOf(input, options.output, options.ownOutput === true);
  }
  const source = temp ? temp.source() : await openSource(input);
  try {
    const reader = await PdfReader.open(source);
    const plan = await planIncrement(reader, options, input);
    const increment = await plan.builder.build();
    const base = source.size;
    const ranges = writeByteRange(increment, plan.sigId, plan.placeholderBytes, base);

    // One streaming pass hashes the input. A file-to-file signature copies the input at the
    // same time; a buffer input is written from the bytes that were hashed. An input hashed
    // already (an upload) is not hashed again: its running hash goes on with the increment.
    const kept: Buffer[] | undefined =
      typeof input === 'string' && options.output === undefined ? [] : undefined;
    const carried = carriedDigest(options.inputDigest, hash, source.size, kept === undefined);
    const digest = carried ?? createHash(HASH_NODE[hash]);
    let copying: Promise<void> = Promise.resolve();
    if (options.output !== undefined && !temp) {
      if (typeof input === 'string') {
        copying = TempOutput.copyOf(input, options.output, options.ownOutput === true).then((t) => {
          temp = t;
        });
      } else {
        temp = await TempOutput.fromBytes(input, options.output);
      }
    }
    // allSettled: never leave a copy running behind an error (it would outlive the cleanup).
    const settled = await Promise.allSettled([
      copying,
      carried
        ? Promise.resolve()
        : source.forEachChunk(0, source.size, (chunk) => {
            digest.update(chunk);
            // A path in, bytes out: keep exactly the bytes that were hashed.
            if (kept) kept.push(Buffer.from(chunk));
          }),
    ]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    if (temp && temp.initialSize !== source.size) {
      throw new KysoError('PDF_MALFORMED', { reason: 'the input changed while it was signed' });
    }
    digest.update(increment.subarray(0, ranges.hexStart));
    digest.update(increment.subarray(ranges.hexEnd));
    const cms: PreparedSignedData = prepareSignedData(options.signer, digest.digest(), hash);
    const inputBytes = Buffer.isBuffer(input) ? input : kept ? Buffer.concat(kept) : undefined;
    await source.close();

    const cleanup = async (): Promise<void> => {
      await temp?.discard();
      temp = undefined;
    };
    return {
      hash,
      toSign: cms.toSign,
      warnings: plan.warnings,
      abort: cleanup,
      finish: async (signature) => {
        try {
          let der = cms.finish(signature);
          if (options.finishCms) der = await options.finishCms(der); // issue 14: B-T timestamp
          writeContents(increment, ranges, der, plan.placeholderBytes);
          const result: SignPdfResult = {
            fieldName: plan.fieldName,
            size: ranges.total,
            byteRange: ranges.byteRange,
            cmsSize: der.length,
            placeholderSize: plan.placeholderBytes,
            warnings: [...plan.warnings],
          };
          if (temp && options.output !== undefined) {
            await temp.commit(increment, base, options.output, options.durable !== false);
            temp = undefined;
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
    await temp?.discard();
    throw error;
  }
}

/** The caller's running hash of the input, when it is of this signature's algorithm and size. */
function carriedDigest(
  carried: InputDigest | undefined,
  hash: HashAlgorithm,
  size: number,
  usable: boolean,
): Hash | undefined {
  if (!usable || !carried || carried.algorithm !== hash || carried.size !== size) return undefined;
  return carried.state;
}

interface IncrementPlan {
  builder: IncrementBuilder;
  sigId: number;
  fieldName: string;
  placeholderBytes: number;
  warnings: SignWarning[];
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
    throw new KysoError('PDF_CERTIFY_NOT_FIRST', {
      reason: 'certification must be the first signature; the document is already signed',
      signatures: form.signatures.filter((s) => s.value).length,
    });
  }

  const fieldName = newFieldName(form, options.fieldName);
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
    pages: pages.map((p) => ({
      index: p.index,
      mediaBox: p.mediaBox,
      rotate: p.rotate,
      ...(p.cropBox ? { cropBox: p.cropBox } : {}),
    })),
    allocateObjectId: () => builder.allocate(),
    pdf: typeof input === 'string' ? { path: input } : { bytes: input },
    ...(previousApprovalRect ? { previousApprovalRect } : {}),
    ...(earlierTextBoxes.length > 0 ? { earlierTextBoxes } : {}),
  };
  // Invisible signatures skip the appearance (and parsing the certificate for it).
  let placed: PlacedAppearance | null = null;
  if (preset !== 'plain') {
    const signerInfo = certificateInfo(options.signer.certificate);
    // Loaded on first use: fonts, PNG and layout code (~1 MB built) that verification and
    // invisible signatures never need.
    const { buildAppearance } = await import('./appearance/index.ts');
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

  // Contents placeholder sized to this signer's CMS.
  const placeholderBytes =
    signedDataSize(options.signer, options.hash ?? 'SHA-256') +
    CONTENTS_SLACK +
    (options.contentsReserve ?? 0); // issue 14: room for the B-T signature timestamp
  builder.add(sigId, signatureDictionary(options, preset, signingTime, placeholderBytes));

  await addSignatureField(reader, builder, {
    catalog,
    pages,
    form,
    perms,
    target,
    fieldName,
    fieldId,
    sigId,
    main,
    placed,
    certify: options.certify,
  });
  const warnings = [...valuesNotShown(options), ...(placed?.warnings ?? [])];
  return { builder, sigId, fieldName, placeholderBytes, warnings };
}

/** CMS sizes by signer (a batch's documents share one): sized once, not built per document. */
const cmsSizes = new WeakMap<Signer, { key: readonly unknown[]; size: number }[]>();

function signedDataSize(signer: Signer, hash: HashAlgorithm): number {
  const key = [signer.certificate, signer.chain, signer.scheme, hash] as const;
  const known = cmsSizes.get(signer) ?? [];
  const hit = known.find((k) => k.key.every((part, i) => part === key[i]));
  if (hit) return hit.size;
  const size = estimateSignedDataSize(signer, hash);
  cmsSizes.set(signer, [...known, { key, size }]);
  return size;
}

/** Which presets show the number and the date; other presets leave them out (VALUE_NOT_SHOWN). */
const SHOWN_BY: Record<'docNumber' | 'issuedDate', readonly string[]> = {
  docNumber: ['issuance', 'attachment'],
  issuedDate: ['issuance'],
};

function valuesNotShown(options: SignPdfOptions): SignWarning[] {
  const preset = options.preset ?? 'plain';
  return (['docNumber', 'issuedDate'] as const)
    .filter((field) => options.appearance?.[field]?.trim() && !SHOWN_BY[field].includes(preset))
    .map((field) => signWarning('VALUE_NOT_SHOWN', { field, preset }));
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
