/**
 * PDF signature verification. Every signature's digest is computed in ONE pass over the
 * file: a running hash per algorithm is forked at the start of each /Contents (each signed
 * revision is a prefix of the next), and each fork then takes only its own tail range.
 */
import { createHash, type Hash } from 'node:crypto';
import { buildChain, loadCertificates, type ChainResult } from '../pki/index.ts';
import {
  HASH_NODE,
  parseSignedData,
  signingCertificateMatches,
  verifyDigestSignature,
  verifySignatureValue,
  type ParsedSignedData,
} from '../cms/index.ts';
import { toKysoError } from '../errors/index.ts';
import { parseCertificate } from '../pki/index.ts';
import type { HashAlgorithm } from '../tokens/index.ts';
import { readForm, type SignatureField } from './fields.ts';
import {
  PdfDict,
  PdfName,
  PdfStream,
  PdfString,
  asNumber,
  isName,
  serialize,
  type PdfValue,
} from './objects.ts';
import { PdfReader } from './reader.ts';
import { openSource, type ByteSource } from './source.ts';

export interface VerifyOptions {
  /** Trusted roots (DER or PEM). Without them no chain is trusted. */
  trustAnchors?: Buffer[];
  /** Extra CA certificates (DER or PEM) that complete paths the CMS does not carry in full. */
  intermediates?: Buffer[];
}

export type ChangesAfterSigning = 'none' | 'signatures-only' | 'other';

export interface SignatureReport {
  fieldName: string;
  /** Signer's common name (certificate), and full subject. */
  signer: string | undefined;
  signerSubject: string | undefined;
  /** /M of the signature dictionary (ISO 8601), when present. */
  signingTime: string | undefined;
  subFilter: string | undefined;
  /** PAdES baseline B-B shape: ETSI.CAdES.detached with a matching signing-certificate-v2. */
  pades: boolean;
  /** DocMDP permission when this is a certification signature (1: no changes at all). */
  certification?: 1 | 2 | 3;
  preset: string | undefined;
  byteRange: number[];
  /** Bytes signed end where this revision ends; true for the last one when the whole file is signed. */
  coversWholeFile: boolean;
  integrity: {
    /** Ranges start at 0, skip exactly the /Contents string, stay inside the file. */
    byteRangeValid: boolean;
    digestMatches: boolean;
    signatureValid: boolean;
    /**
     * signing-certificate-v2 names the signer's certificate; true when the attribute is absent
     * (signatures from other tools), see `pades` for baseline conformance.
     */
    signingCertificateValid: boolean;
  };
  hashAlgorithm: HashAlgorithm | undefined;
  chain: ChainResult | undefined;
  certificateValidAtSigningTime: boolean;
  keyUsageValid: boolean;
  keyUsage: string[];
  changes: ChangesAfterSigning;
  /** Overall: intact, trusted, valid at signing time, right key usage, nothing but signatures after. */
  valid: boolean;
  /** Stable error code when the signature could not be checked at all. */
  error?: string;
}

export interface VerifyResult {
  fileSize: number;
  signatures: SignatureReport[];
  /** True when the last signature covers the whole file. */
  totalDocumentSigned: boolean;
  valid: boolean;
}

interface Candidate {
  field: SignatureField;
  byteRange: number[];
  contents: Buffer;
  parsed?: ParsedSignedData;
  error?: string;
  digest?: Buffer;
}

function parsePdfDate(value: PdfValue | undefined): Date | undefined {
  if (!(value instanceof PdfString)) return undefined;
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?/.exec(
    value.text(),
  );
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', tz, th = '00', tm = '00'] = m;
  const sign = tz === '-' ? '-' : '+';
  const zone = tz === '+' || tz === '-' ? `${sign}${th}:${tm}` : 'Z';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** DER length of the CMS at the start of the zero-padded /Contents. */
function trimDer(bytes: Buffer): Buffer {
  if (bytes[0] !== 0x30) return bytes;
  let len = bytes[1] ?? 0;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[2 + i] ?? 0);
    header += n;
  }
  return bytes.subarray(0, Math.min(bytes.length, header + len));
}

export async function verifyPdf(
  input: string | Buffer,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const source = await openSource(input);
  try {
    return await verifySource(source, options);
  } finally {
    await source.close();
  }
}

async function verifySource(source: ByteSource, options: VerifyOptions): Promise<VerifyResult> {
  const reader = await PdfReader.open(source);
  const catalog = await reader.catalog();
  const form = await readForm(reader, catalog.dict);
  const anchors = (options.trustAnchors ?? []).flatMap(loadCertificates);
  const intermediates = (options.intermediates ?? []).flatMap(loadCertificates);

  const candidates: Candidate[] = [];
  for (const field of form.signatures) {
    const sig = field.value;
    if (!sig) continue;
    const br = await reader.resolve(sig.get('ByteRange'));
    const byteRange = Array.isArray(br) ? br.map((x) => asNumber(x) ?? -1) : [];
    const c: Candidate = { field, byteRange, contents: Buffer.alloc(0) };
    const contents = sig.get('Contents');
    if (contents instanceof PdfString) c.contents = trimDer(contents.bytes);
    try {
      c.parsed = parseSignedData(c.contents);
    } catch (error) {
      c.error = toKysoError(error).code;
    }
    candidates.push(c);
  }

  await hashAllInOnePass(source, candidates);

  // Revision boundaries: each xref section ends a revision (startxref…%%EOF follows it).
  const classifier = new ChangeClassifier(reader, source.size);
  const certificates = new CertificateCache(anchors, intermediates);
  const reports: SignatureReport[] = [];
  for (const c of candidates) reports.push(await report(source, c, certificates, classifier));
  reports.sort((a, b) => (a.byteRange[1] ?? 0) - (b.byteRange[1] ?? 0));
  const last = reports.at(-1);
  const totalDocumentSigned = last?.coversWholeFile ?? false;
  return {
    fileSize: source.size,
    signatures: reports,
    totalDocumentSigned,
    valid: reports.length > 0 && reports.every((r) => r.valid),
  };
}

/** The DocMDP /P of a certification signature's /Reference (direct objects, as written). */
function docMdpOf(sig: PdfDict | undefined): 1 | 2 | 3 | undefined {
  const refs = sig?.get('Reference');
  for (const r of Array.isArray(refs) ? refs : []) {
    if (!(r instanceof PdfDict) || !isName(r.get('TransformMethod'), 'DocMDP')) continue;
    const params = r.get('TransformParams');
    const p = params instanceof PdfDict ? asNumber(params.get('P')) : undefined;
    return p === 1 || p === 3 ? p : 2;
  }
  return undefined;
}

function rangesOk(br: number[], size: number): boolean {
  if (br.length !== 4 || br.some((x) => !Number.isInteger(x) || x < 0)) return false;
  const [a = 0, b = 0, c = 0, d = 0] = br;
  return a === 0 && b > 0 && c > b && c + d <= size;
}

/**
 * One read of the file. Signatures whose first range is [0, b) fork the shared running hash
 * at b; every signature then consumes only its own later ranges.
 */
async function hashAllInOnePass(source: ByteSource, candidates: Candidate[]): Promise<void> {
  interface Job {
    c: Candidate;
    alg: string;
    hash?: Hash;
    forkAt?: number;
    ranges: [number, number][];
  }
  const jobs: Job[] = [];
  for (const c of candidates) {
    if (!c.parsed || c.byteRange.length % 2 !== 0 || c.byteRange.length === 0) continue;
    const alg = HASH_NODE[c.parsed.hash];
    const ranges: [number, number][] = [];
    for (let i = 0; i < c.byteRange.length; i += 2) {
      const start = c.byteRange[i] ?? 0;
      const len = c.byteRange[i + 1] ?? 0;
      if (start < 0 || len < 0 || start + len > source.size) {
        ranges.length = 0;
        break;
      }
      ranges.push([start, start + len]);
    }
    if (ranges.length === 0) continue;
    const first = ranges[0];
    if (first && first[0] === 0) jobs.push({ c, alg, forkAt: first[1], ranges: ranges.slice(1) });
    else jobs.push({ c, alg, hash: createHash(alg), ranges });
  }
  if (jobs.length === 0) return;
  const running = new Map<string, Hash>();
  const forks = jobs
    .filter((j) => j.forkAt !== undefined)
    .sort((x, y) => (x.forkAt ?? 0) - (y.forkAt ?? 0));
  for (const j of forks) if (!running.has(j.alg)) running.set(j.alg, createHash(j.alg));
  const runningEnd = Math.max(0, ...forks.map((j) => j.forkAt ?? 0));
  let nextFork = 0;
  // Zero-length first ranges fork before any byte.
  const fork = (at: number): void => {
    for (; nextFork < forks.length && (forks[nextFork]?.forkAt ?? 0) <= at; nextFork++) {
      const j = forks[nextFork];
      if (j) j.hash = running.get(j.alg)?.copy();
    }
  };
  fork(0);
  let pos = 0;
  await source.forEachChunk(0, source.size, (chunk) => {
    const start = pos;
    const end = start + chunk.length;
    let at = start;
    while (at < Math.min(end, runningEnd)) {
      const stop = Math.min(end, runningEnd, forks[nextFork]?.forkAt ?? Infinity);
      if (stop > at) {
        const slice = chunk.subarray(at - start, stop - start);
        for (const h of running.values()) h.update(slice);
        at = stop;
      }
      fork(at);
    }
    for (const j of jobs) {
      for (const [rs, re] of j.ranges) {
        const s = Math.max(rs, start);
        const e = Math.min(re, end);
        if (e > s) j.hash?.update(chunk.subarray(s - start, e - start));
      }
    }
    pos = end;
  });
  for (const j of jobs) j.c.digest = j.hash?.digest();
}

/** Certificate parsing and path building, once per distinct certificate set in a document. */
class CertificateCache {
  private readonly info = new Map<string, ReturnType<typeof parseCertificate>>();
  private readonly chains = new Map<string, ChainResult>();
  constructor(
    private readonly anchors: Buffer[],
    private readonly intermediates: Buffer[] = [],
  ) {}

  parse(der: Buffer): ReturnType<typeof parseCertificate> {
    const key = der.toString('base64');
    let info = this.info.get(key);
    if (!info) {
      info = parseCertificate(der);
      this.info.set(key, info);
    }
    return info;
  }

  chain(signer: Buffer, all: Buffer[], at: Date): ChainResult {
    const others = [...all, ...this.intermediates].filter((x) => !x.equals(signer));
    const key = [signer, ...others].map((b) => b.toString('base64')).join('|');
    let chain = this.chains.get(key);
    if (!chain) {
      chain = buildChain(signer, others, this.anchors, at);
      this.chains.set(key, chain);
    }
    return {
      ...chain,
      validAtTime: at >= new Date(chain.validFrom) && at <= new Date(chain.validTo),
    };
  }
}

async function report(
  source: ByteSource,
  c: Candidate,
  certificates: CertificateCache,
  classifier: ChangeClassifier,
): Promise<SignatureReport> {
  const sig = c.field.value;
  const signingTime = parsePdfDate(sig?.get('M'));
  const subFilter = sig?.get('SubFilter');
  const preset = sig?.get('Kyso.Preset');
  const [, b = 0, cStart = 0, d = 0] = c.byteRange;
  const signedEnd = cStart + d;
  let byteRangeValid = rangesOk(c.byteRange, source.size);
  if (byteRangeValid) {
    // The gap must be exactly the hex string "<...>" holding this dictionary's /Contents:
    // otherwise the signed ranges could describe some other part of the file.
    const gap = cStart - b <= 1 << 20 ? await source.read(b, cStart - b) : Buffer.alloc(0);
    byteRangeValid =
      gap[0] === 0x3c &&
      gap[gap.length - 1] === 0x3e &&
      /^[0-9a-fA-F\s]*$/.test(gap.toString('latin1', 1, gap.length - 1)) &&
      trimDer(
        Buffer.from(gap.toString('latin1', 1, gap.length - 1).replace(/\s/g, ''), 'hex'),
      ).equals(c.contents);
  }
  const parsed = c.parsed;
  let digestMatches = Boolean(parsed?.messageDigest && c.digest?.equals(parsed.messageDigest));
  let signatureValid = parsed ? verifySignatureValue(parsed) : false;
  if (parsed && !parsed.signedAttributesDer && c.digest) {
    // No signed attributes: the signature itself covers the content digest.
    digestMatches = signatureValid = verifyDigestSignature(parsed, c.digest);
  }
  const signingCertificateValid = parsed
    ? !parsed.hasSigningCertificateV2 || signingCertificateMatches(parsed)
    : false;
  const pades =
    subFilter instanceof PdfName &&
    subFilter.name === 'ETSI.CAdES.detached' &&
    Boolean(parsed?.hasSigningCertificateV2 && signingCertificateValid);
  let signer: string | undefined;
  let signerSubject: string | undefined;
  let keyUsage: string[] = [];
  let chain: ChainResult | undefined;
  let certificateValidAtSigningTime = false;
  if (parsed?.signerCertificate) {
    const info = certificates.parse(parsed.signerCertificate);
    signer = info.commonName;
    signerSubject = info.subject.text;
    keyUsage = info.keyUsage;
    const at = signingTime ?? new Date();
    chain = certificates.chain(parsed.signerCertificate, parsed.certificates, at);
    certificateValidAtSigningTime = chain.validAtTime;
  }
  const keyUsageValid =
    keyUsage.length === 0 ||
    keyUsage.includes('digitalSignature') ||
    keyUsage.includes('nonRepudiation');
  const changes = await classifier.after(signedEnd);
  const certification = docMdpOf(sig);
  // A certification with P=1 allows no change at all, not even further signatures.
  const changesAllowed =
    changes === 'none' || (changes === 'signatures-only' && certification !== 1);
  const integrityOk = byteRangeValid && digestMatches && signatureValid;
  const valid =
    integrityOk &&
    signingCertificateValid &&
    (chain?.trusted ?? false) &&
    certificateValidAtSigningTime &&
    keyUsageValid &&
    changesAllowed;
  return {
    fieldName: c.field.name,
    signer,
    signerSubject,
    signingTime: signingTime?.toISOString(),
    subFilter: subFilter instanceof PdfName ? subFilter.name : undefined,
    pades,
    ...(certification !== undefined ? { certification } : {}),
    preset: preset instanceof PdfName ? preset.name : undefined,
    byteRange: c.byteRange,
    coversWholeFile: signedEnd === source.size,
    integrity: { byteRangeValid, digestMatches, signatureValid, signingCertificateValid },
    hashAlgorithm: parsed?.hash,
    chain,
    certificateValidAtSigningTime,
    keyUsageValid,
    keyUsage,
    changes,
    valid,
    ...(c.error ? { error: c.error } : {}),
  };
}

/**
 * Classifies what later revisions changed: new signatures (signature dictionaries, signature
 * widgets, their appearances, the AcroForm and /Annots lists growing, catalog /AcroForm /Perms
 * /DSS) or anything else. Each increment is classified once and shared by all signatures.
 */
class ChangeClassifier {
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
