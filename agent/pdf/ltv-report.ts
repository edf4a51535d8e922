/**
 * Long-term validation facts of one signature (issue 14), added to its report as `ltv`:
 * the signature timestamp (time and TSA, verified), the revocation status at signing time
 * and its source (the DSS), the PAdES level reached, and validity at signing time versus now.
 * Document timestamps (/Type /DocTimeStamp, ETSI.RFC3161) are verified here as well: their
 * /Contents is a TimeStampToken over the byte ranges, not a CAdES signature.
 *
 * Revocation information is taken from the document's DSS only; nothing is fetched while
 * verifying (a verifier may be offline). No DSS entry: status "not-checked", source "none".
 */
import { X509Certificate } from 'node:crypto';
import {
  HASH_OID,
  parseSignedData,
  signatureImprint,
  signatureTimestampTokens,
} from '../cms/index.ts';
import type { ParsedSignedData } from '../cms/index.ts';
import { issuedBy, type ChainResult } from '../pki/index.ts';
import type { ChangesAfterSigning } from './changes.ts';
import type { Candidate } from './digest-pass.ts';
import { readDss, type DssContent } from './dss.ts';
import { readForm } from './fields.ts';
import { asNumber, isName } from './objects.ts';
import { PdfReader } from './reader.ts';
import type { ByteSource } from './source.ts';

export type ReachedLevel = 'none' | 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface TimestampFacts {
  /** genTime, ISO 8601. */
  time: string;
  /** The TSA certificate's subject. */
  tsa: string;
  /** Token sound, about this signature (or these bytes), TSA path trusted. */
  valid: boolean;
  problem?: string;
}

export interface RevocationFacts {
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** Where the answer came from: the document's DSS, or nowhere. */
  source: 'dss' | 'none';
  kind?: 'ocsp' | 'crl';
  /** OCSP producedAt or CRL thisUpdate. */
  issuedAt?: string;
  revokedAt?: string;
  reason?: string;
}

export interface LtvReport {
  kind: 'signature' | 'document-timestamp';
  level: ReachedLevel;
  /** Signature timestamp (or, for a document timestamp, the token itself). */
  timestamp?: TimestampFacts;
  /** Signer's certificate status at signing time. */
  revocation: RevocationFacts;
  /** Time the checks use: the timestamp's genTime, else the claimed /M, else now. */
  checkedAt: string;
  /** Certificate path valid and not revoked at `checkedAt`. */
  validAtSigningTime: boolean;
  /** Certificate path valid now (revocation as known from the DSS). */
  validNow: boolean;
}

/** The parts of a SignatureReport this file reads and may correct (document timestamps). */
export interface ReportBase {
  pades: boolean;
  signingTime: string | undefined;
  byteRange: number[];
  integrity: {
    byteRangeValid: boolean;
    digestMatches: boolean;
    signatureValid: boolean;
    signingCertificateValid: boolean;
  };
  chain: ChainResult | undefined;
  certificateValidAtSigningTime: boolean;
  changes: ChangesAfterSigning;
  status: 'valid' | 'valid-changed-after' | 'invalid';
  valid: boolean;
}

interface ChainCache {
  chain(signer: Buffer, all: Buffer[], at: Date): ChainResult;
}

interface DocumentFacts {
  dss: DssContent;
  /** Signed end (c + d) of every document timestamp. */
  docTimestampEnds: number[];
}

type Ltv = typeof import('../ltv/index.ts');
let ltvCode: Promise<Ltv> | undefined;
/**
 * The OCSP, CRL and RFC 3161 code, loaded only for a signature that carries a timestamp or a
 * document with a DSS to check: most documents carry neither, and `kyso verify` then starts
 * without compiling it.
 */
const loadLtv = (): Promise<Ltv> => (ltvCode ??= import('../ltv/index.ts'));

const documents = new WeakMap<ByteSource, Promise<DocumentFacts>>();

/** `opened`: the reader verification already holds, so the document is not parsed twice. */
function documentFacts(source: ByteSource, opened?: PdfReader): Promise<DocumentFacts> {
  let p = documents.get(source);
  if (!p) {
    p = (async () => {
      const reader = opened ?? (await PdfReader.open(source));
      const catalog = await reader.catalog();
      const form = await readForm(reader, catalog.dict);
      const ends: number[] = [];
      for (const s of form.signatures) {
        if (!s.value || !isName(s.value.get('Type'), 'DocTimeStamp')) continue;
        const br = await reader.resolve(s.value.get('ByteRange'));
        if (Array.isArray(br)) ends.push((asNumber(br[2]) ?? 0) + (asNumber(br[3]) ?? 0));
      }
      return { dss: await readDss(reader), docTimestampEnds: ends };
    })().catch(() => ({
      dss: { present: false, certificates: [], ocsps: [], crls: [] },
      docTimestampEnds: [],
    }));
    documents.set(source, p);
  }
  return p;
}

/** Parsed certificates by content: 20 signatures by one signer carry the same few. */
const parsedCertificates = new Map<string, X509Certificate>();
function x509Of(der: Buffer): X509Certificate {
  const key = der.toString('base64');
  let x = parsedCertificates.get(key);
  if (!x) {
    x = new X509Certificate(der);
    if (parsedCertificates.size > 256) parsedCertificates.clear();
    parsedCertificates.set(key, x);
  }
  return x;
}

const subjectOf = (der: Buffer): string => {
  try {
    return x509Of(der).subject.replace(/\n/g, ', ');
  } catch {
    return '?';
  }
};

function verifyToken(
  { timestamp: tsa }: Ltv,
  token: Buffer,
  expect: { digest: Buffer; hash: ParsedSignedData['hash'] },
  chains: ChainCache,
): { facts: TimestampFacts; genTime?: Date } {
  try {
    const v = tsa.verifyTimestampToken(token, expect);
    const chain = chains.chain(v.tsaCertificate, tokenCertificates(token), v.genTime);
    const facts: TimestampFacts = {
      time: v.genTime.toISOString(),
      tsa: subjectOf(v.tsaCertificate),
      valid: chain.trusted && chain.validAtTime,
      ...(chain.trusted ? {} : { problem: `TSA not trusted (${chain.reason ?? 'unknown'})` }),
    };
    return { facts, genTime: v.genTime };
  } catch (error) {
    let time = '';
    try {
      time = tsa.parseTstInfo(token).genTime.toISOString();
    } catch {
      // unreadable: no time to show
    }
    return {
      facts: {
        time,
        tsa: '?',
        valid: false,
        problem: error instanceof Error ? errorReason(error) : String(error),
      },
    };
  }
}

function errorReason(error: Error): string {
  const details = (error as { details?: Record<string, unknown> }).details;
  return typeof details?.reason === 'string' ? details.reason : error.message;
}

/** Certificates carried in a TimeStampToken's SignedData. */
function tokenCertificates(token: Buffer): Buffer[] {
  try {
    return parseSignedData(token).certificates;
  } catch {
    return [];
  }
}

/** Status of `certificate` at `at` from the DSS: a verified OCSP response, else a CRL. */
async function statusFromDss(
  certificate: Buffer,
  pool: readonly Buffer[],
  dss: DssContent,
  at: Date,
): Promise<RevocationFacts> {
  // Nothing to look the certificate up in: no need to find (and verify) its issuer.
  if (dss.ocsps.length === 0 && dss.crls.length === 0)
    return { status: 'not-checked', source: 'none' };
  const { revocation } = await loadLtv();
  const x = x509Of(certificate);
  const issuer = pool.find((c) => {
    try {
      return issuedBy(x, x509Of(c));
    } catch {
      return false;
    }
  });
  if (!issuer) return { status: 'not-checked', source: 'none' };
  for (const der of dss.ocsps) {
    try {
      const answer = revocation.verifyOcspResponse(
        revocation.parseOcspResponse(der),
        { certificate, issuer, nonce: undefined },
        { now: at },
      );
      return {
        status:
          answer.status === 'revoked' && answer.revokedAt && answer.revokedAt > at
            ? 'good'
            : answer.status,
        source: 'dss',
        kind: 'ocsp',
        issuedAt: answer.producedAt.toISOString(),
        ...(answer.revokedAt ? { revokedAt: answer.revokedAt.toISOString() } : {}),
        ...(answer.reason ? { reason: answer.reason } : {}),
      };
    } catch {
      // Not about this certificate, or not trustworthy at `at`: try the next one.
    }
  }
  for (const der of dss.crls) {
    try {
      const crl = revocation.parseCrl(der);
      revocation.verifyCrl(crl, issuer, { now: at });
      const found = revocation.crlStatus(crl, certificate);
      const revokedBefore = found.status === 'revoked' && found.revokedAt <= at;
      return {
        status: revokedBefore ? 'revoked' : 'good',
        source: 'dss',
        kind: 'crl',
        issuedAt: crl.thisUpdate.toISOString(),
        ...(found.status === 'revoked'
          ? {
              revokedAt: found.revokedAt.toISOString(),
              ...(found.reason ? { reason: found.reason } : {}),
            }
          : {}),
      };
    } catch {
      // Another CA's CRL, or stale at `at`.
    }
  }
  return { status: 'not-checked', source: 'none' };
}

/**
 * The LTV facts of `c`; for a document timestamp also the corrected integrity and verdict.
 * Called at the end of report() (report.ts): `return withLtv(source, c, certificates, {...})`.
 */
export async function withLtv<T extends ReportBase>(
  source: ByteSource,
  c: Candidate,
  chains: ChainCache,
  base: T,
  reader?: PdfReader,
): Promise<T & { ltv: LtvReport }> {
  const doc = await documentFacts(source, reader);
  const parsed = c.parsed;
  const isDocTimestamp = isName(c.field.value?.get('Type'), 'DocTimeStamp');
  const claimed = base.signingTime ? new Date(base.signingTime) : undefined;

  if (isDocTimestamp) {
    const hash = parsed?.hash ?? 'SHA-256';
    const stamped = c.digest
      ? verifyToken(await loadLtv(), c.contents, { digest: c.digest, hash }, chains)
      : { facts: { time: '', tsa: '?', valid: false, problem: 'no digest' } };
    const at = stamped.genTime ?? new Date();
    const tsaCert = parsed?.signerCertificate;
    const chain = tsaCert ? chains.chain(tsaCert, parsed.certificates, at) : base.chain;
    // A genTime means the token verified (imprint, TSA signature); trust is the chain's.
    const digestOk = stamped.genTime !== undefined;
    const integrity = {
      ...base.integrity,
      digestMatches: digestOk,
      signatureValid: digestOk,
      signingCertificateValid: true,
    };
    const revocationFacts = tsaCert
      ? await statusFromDss(
          tsaCert,
          [...(parsed?.certificates ?? []), ...doc.dss.certificates],
          doc.dss,
          at,
        )
      : ({ status: 'not-checked', source: 'none' } as const);
    const validAtSigningTime =
      Boolean(chain?.trusted && chain.validAtTime) && revocationFacts.status !== 'revoked';
    return {
      ...base,
      integrity,
      chain,
      certificateValidAtSigningTime: validAtSigningTime,
      // The verdict from the token's checks, not from report()'s CMS-signature ones (a
      // TimeStampToken's message digest is over TSTInfo, not the document).
      status: !(integrity.byteRangeValid && digestOk && validAtSigningTime)
        ? 'invalid'
        : base.changes === 'other'
          ? 'valid-changed-after'
          : 'valid',
      valid: integrity.byteRangeValid && digestOk && validAtSigningTime && base.changes !== 'other',
      ltv: {
        kind: 'document-timestamp',
        level: stamped.facts.valid ? 'B-LTA' : 'none',
        timestamp: stamped.facts,
        revocation: revocationFacts,
        checkedAt: at.toISOString(),
        validAtSigningTime,
        validNow: Boolean(
          tsaCert && chains.chain(tsaCert, parsed?.certificates ?? [], new Date()).validAtTime,
        ),
      },
    };
  }

  let timestamp: TimestampFacts | undefined;
  let genTime: Date | undefined;
  const [token] = parsed ? signatureTimestampTokens(c.contents) : [];
  if (parsed && token) {
    const ltv = await loadLtv();
    let imprintHash: ParsedSignedData['hash'] = 'SHA-256';
    try {
      const oid = ltv.timestamp.parseTstInfo(token).hashOid;
      imprintHash =
        (Object.entries(HASH_OID).find(([, o]) => o === oid)?.[0] as ParsedSignedData['hash']) ??
        'SHA-256';
    } catch {
      // verifyToken reports the unreadable token
    }
    const digest = signatureImprint(c.contents, imprintHash);
    const v = verifyToken(ltv, token, { digest, hash: imprintHash }, chains);
    timestamp = v.facts;
    if (v.facts.valid) genTime = v.genTime;
  }
  const at = genTime ?? claimed ?? new Date();
  const signer = parsed?.signerCertificate;
  const pool = [...(parsed?.certificates ?? []), ...doc.dss.certificates];
  const revocationFacts: RevocationFacts = signer
    ? await statusFromDss(signer, pool, doc.dss, at)
    : { status: 'not-checked', source: 'none' };
  const chainAt = signer ? chains.chain(signer, pool, at) : undefined;
  const chainNow = signer ? chains.chain(signer, pool, new Date()) : undefined;
  const validAtSigningTime =
    Boolean(chainAt?.trusted && chainAt.validAtTime) && revocationFacts.status !== 'revoked';
  const validNow =
    Boolean(chainNow?.trusted && chainNow.validAtTime) && revocationFacts.status !== 'revoked';
  const signedEnd = (c.byteRange[2] ?? 0) + (c.byteRange[3] ?? 0);
  let level: ReachedLevel = base.pades ? 'B-B' : 'none';
  if (level === 'B-B' && timestamp?.valid) level = 'B-T';
  if (level === 'B-T' && revocationFacts.source === 'dss') level = 'B-LT';
  if (level === 'B-LT' && doc.docTimestampEnds.some((end) => end > signedEnd)) level = 'B-LTA';
  return {
    ...base,
    ltv: {
      kind: 'signature',
      level,
      ...(timestamp ? { timestamp } : {}),
      revocation: revocationFacts,
      checkedAt: at.toISOString(),
      validAtSigningTime,
      validNow,
    },
  };
}
