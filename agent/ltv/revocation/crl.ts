/**
 * CRLs (RFC 5280 §5): parse, check the issuer's signature and the update window, look a
 * serial up. Walks the DER directly: a CA's CRL can list tens of thousands of entries.
 */
import { X509Certificate } from 'node:crypto';
import { children, contentOf, elementOf, oidText, readTlv } from '../../pki/index.ts';
import { readTime, serialOf, subjectOf } from '../der-values.ts';
import { verifyWithAlgorithm } from '../signature.ts';
import {
  checkWindow,
  reasonName,
  RevocationProblem,
  type FreshnessOptions,
  type RevocationReason,
} from './types.ts';

const ID_CE_CRL_REASONS = '2.5.29.21';
const ID_CE_DELTA_CRL_INDICATOR = '2.5.29.27';

export interface CrlEntry {
  revokedAt: Date;
  reason?: RevocationReason;
}

export interface ParsedCrl {
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serials, upper-case hex without leading zero octets. */
  entries: Map<string, CrlEntry>;
  isDelta: boolean;
  tbs: Buffer;
  signatureAlgorithm: Buffer;
  signature: Buffer;
}

export function serialKey(serial: Buffer): string {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0) i++;
  return serial.subarray(i).toString('hex').toUpperCase();
}

function extensionsOf(seqOfExtensions: Buffer | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!seqOfExtensions) return out;
  for (const ext of children(seqOfExtensions, readTlv(seqOfExtensions, 0))) {
    const parts = children(seqOfExtensions, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id && value) {
      out.set(oidText(contentOf(seqOfExtensions, id)), contentOf(seqOfExtensions, value));
    }
  }
  return out;
}

export function parseCrl(der: Buffer): ParsedCrl {
  try {
    const [tbs, sigAlg, sig] = children(der, readTlv(der, 0));
    if (tbs?.tag !== 0x30 || !sigAlg || sig?.tag !== 0x03) throw new Error('not a CertificateList');
    const fields = children(der, tbs);
    let k = fields[0]?.tag === 0x02 ? 1 : 0;
    k++; // signature AlgorithmIdentifier (the outer one is what we verify with)
    const issuer = fields[k++];
    const thisUpdate = fields[k++];
    if (issuer?.tag !== 0x30 || !thisUpdate) throw new Error('malformed TBSCertList');
    let nextUpdate: Date | undefined;
    const maybeNext = fields[k];
    if (maybeNext && (maybeNext.tag === 0x17 || maybeNext.tag === 0x18)) {
      nextUpdate = readTime(der, maybeNext);
      k++;
    }
    const entries = new Map<string, CrlEntry>();
    const revoked = fields[k];
    if (revoked?.tag === 0x30) {
      k++;
      for (const e of children(der, revoked)) {
        const [serial, time, exts] = children(der, e);
        if (serial?.tag !== 0x02 || !time) throw new Error('malformed CRL entry');
        const entry: CrlEntry = { revokedAt: readTime(der, time) };
        const reason = extensionsOf(exts ? elementOf(der, exts) : undefined).get(ID_CE_CRL_REASONS);
        if (reason) entry.reason = reasonName(reason[2]);
        entries.set(serialKey(contentOf(der, serial)), entry);
      }
    }
    const crlExts = fields[k]?.tag === 0xa0 ? fields[k] : undefined;
    const crlExtSeq = crlExts ? children(der, crlExts)[0] : undefined;
    const extensions = extensionsOf(crlExtSeq ? elementOf(der, crlExtSeq) : undefined);
    return {
      issuer: elementOf(der, issuer),
      thisUpdate: readTime(der, thisUpdate),
      ...(nextUpdate ? { nextUpdate } : {}),
      entries,
      isDelta: extensions.has(ID_CE_DELTA_CRL_INDICATOR),
      tbs: elementOf(der, tbs),
      signatureAlgorithm: elementOf(der, sigAlg),
      signature: contentOf(der, sig).subarray(1),
    };
  } catch (error) {
    throw new RevocationProblem(
      `unreadable CRL: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Throws RevocationProblem unless `issuer` signed this complete, current CRL. */
export function verifyCrl(crl: ParsedCrl, issuer: Buffer, options: FreshnessOptions = {}): void {
  if (!crl.issuer.equals(subjectOf(issuer)))
    throw new RevocationProblem('the CRL is from another CA');
  // Delta CRLs only make sense on top of a base CRL, which we would have to fetch as well.
  if (crl.isDelta) throw new RevocationProblem('a delta CRL cannot be used alone');
  const key = new X509Certificate(issuer).publicKey;
  if (!verifyWithAlgorithm(crl.signatureAlgorithm, crl.tbs, crl.signature, key)) {
    throw new RevocationProblem('the CRL signature is invalid');
  }
  checkWindow(crl.thisUpdate, crl.nextUpdate, options);
}

/** Status of `certificate` in a verified CRL of its issuer. */
export function crlStatus(
  crl: ParsedCrl,
  certificate: Buffer,
): { status: 'good' } | ({ status: 'revoked' } & CrlEntry) {
  const entry = crl.entries.get(serialKey(serialOf(certificate)));
  // certificateHold entries later removed are simply absent from the current CRL.
  return entry ? { status: 'revoked', ...entry } : { status: 'good' };
}
