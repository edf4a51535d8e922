/**
 * One signature's report: byte range, digest and signature value, signing certificate, chain,
 * key usage and the changes after it, combined into one verdict.
 */
import {
  verifyDigestSignature,
  verifySignatureValue,
  signingCertificateMatches,
} from '../cms/index.ts';
import type { ChainResult } from '../pki/index.ts';
import type { CertificateCache } from './certificate-cache.ts';
import type { HashAlgorithm } from '../tokens/index.ts';
import type { ChangeClassifier, ChangeKind, ChangesAfterSigning } from './changes.ts';
import { trimDer, type Candidate } from './digest-pass.ts';
import { PdfDict, PdfName, PdfString, asNumber, isName, type PdfValue } from './objects.ts';
import type { PdfReader } from './reader.ts';
import type { ByteSource } from './source.ts';
import { withLtv, type LtvReport } from './ltv-report.ts'; // issue 14

/**
 * The verdict on one signature. `invalid`: its own bytes, signature value, signing certificate,
 * chain, validity at signing time or key usage fail, or a certification's DocMDP permissions
 * forbid what was changed after it. `valid-changed-after`: intact and trusted, and the document
 * was changed after it in ways its signer did not sign (see `changeKinds`); the signed
 * revision itself is authentic. `valid`: intact, trusted, and nothing but further signatures
 * (and metadata updates) after it.
 */
export type SignatureStatus = 'valid' | 'valid-changed-after' | 'invalid';

/**
 * What DocMDP permits after a certification (ISO 32000-1 §12.8.2.2, table 254): P=1 no change
 * at all; P=2 filling in forms and signing (metadata updates come with both); P=3 also
 * annotations (creating, deleting, modifying).
 */
const DOCMDP_ALLOWED: Record<1 | 2 | 3, ReadonlySet<ChangeKind>> = {
  1: new Set(),
  2: new Set(['form-fill', 'metadata']),
  3: new Set(['form-fill', 'metadata', 'annotation']),
};

export function docMdpPermits(
  p: 1 | 2 | 3,
  changes: ChangesAfterSigning,
  kinds: readonly ChangeKind[],
): boolean {
  if (changes === 'none') return true;
  if (p === 1) return false;
  return kinds.every((k) => DOCMDP_ALLOWED[p].has(k));
}

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
  /** Kinds of non-signature change after this signature (metadata included; empty for none). */
  changeKinds: ChangeKind[];
  /** Certification only: whether the changes after it are within its DocMDP permissions. */
  docMdpPermitted?: boolean;
  status: SignatureStatus;
  /**
   * Strict: `status === 'valid'`, i.e. intact, trusted, valid at signing time, right key usage,
   * nothing but signatures (and metadata) after. False for `valid-changed-after` too.
   */
  valid: boolean;
  /** Stable error code when the signature could not be checked at all. */
  error?: string;
  /** Issue 14: timestamp, revocation at signing time, PAdES level (ltv-report.ts). */
  ltv?: LtvReport;
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

/** Whitespace as the former /\s/ test saw it in latin1: TAB LF VT FF CR, space, NBSP. */
const isHexSpace = (b: number): boolean => (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0;

function nibble(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * The bytes between "<" and ">" of a hex string, whitespace skipped and an odd last digit
 * dropped (as Buffer.from(…, 'hex') does); undefined when anything else is in it. One pass
 * instead of a regex and two string copies: 20 signatures carry 20 such /Contents.
 */
function hexBody(gap: Buffer): Buffer | undefined {
  const out = Buffer.allocUnsafe(Math.max(0, (gap.length - 2) >> 1));
  let n = 0;
  let high = -1;
  for (let i = 1; i < gap.length - 1; i++) {
    const b = gap[i] ?? 0;
    if (isHexSpace(b)) continue;
    const v = nibble(b);
    if (v < 0) return undefined;
    if (high < 0) high = v;
    else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  return out.subarray(0, n);
}

/**
 * Whether the ByteRange gap is the hex string "<…>" whose bytes are this /Contents. The common
 * case, the gap spelled exactly as hex of the parsed string (lower or upper case, nothing
 * else), is one native comparison; anything else (whitespace, mixed case) is decoded.
 */
function gapHoldsContents(gap: Buffer, contents: PdfValue | undefined, cms: Buffer): boolean {
  if (gap[0] !== 0x3c || gap[gap.length - 1] !== 0x3e) return false;
  if (contents instanceof PdfString && gap.length === contents.bytes.length * 2 + 2) {
    const hex = contents.bytes.toString('hex');
    const body = gap.toString('latin1', 1, gap.length - 1);
    // c.contents is trimDer(contents.bytes), so the same bytes hold the same CMS.
    if (body === hex || body === hex.toUpperCase()) return true;
  }
  const held = hexBody(gap);
  return held !== undefined && trimDer(held).equals(cms);
}

export async function report(
  source: ByteSource,
  c: Candidate,
  certificates: CertificateCache,
  classifier: ChangeClassifier,
  /** The document's reader, shared with the LTV facts (ltv-report.ts) instead of a second parse. */
  reader?: PdfReader,
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
    byteRangeValid = gapHoldsContents(gap, sig?.get('Contents'), c.contents);
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
  const { changes, kinds: changeKinds } = await classifier.after(signedEnd);
  const certification = docMdpOf(sig);
  // A certification with P=1 allows no change at all, not even further signatures.
  const docMdpPermitted =
    certification === undefined ? undefined : docMdpPermits(certification, changes, changeKinds);
  const integrityOk = byteRangeValid && digestMatches && signatureValid;
  const ownChecksOk =
    integrityOk &&
    signingCertificateValid &&
    (chain?.trusted ?? false) &&
    certificateValidAtSigningTime &&
    keyUsageValid;
  const status: SignatureStatus =
    !ownChecksOk || docMdpPermitted === false
      ? 'invalid'
      : changes === 'other'
        ? 'valid-changed-after'
        : 'valid';
  return withLtv(
    source,
    c,
    certificates,
    {
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
      changeKinds,
      ...(docMdpPermitted !== undefined ? { docMdpPermitted } : {}),
      status,
      valid: status === 'valid',
      ...(c.error ? { error: c.error } : {}),
    },
    reader,
  ); // issue 14: withLtv adds `ltv` (and verifies document timestamps)
}
