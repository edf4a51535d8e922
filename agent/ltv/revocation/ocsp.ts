/**
 * OCSP (RFC 6960): request with a nonce, response parsing and verification: signed by the
 * issuer or by a responder certificate the issuer gave id-kp-OCSPSigning; fresh; our CertID.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import {
  children,
  contentOf,
  elementOf,
  NULL,
  octets,
  oid,
  oidText,
  readTlv,
  seq,
  tlv,
  type Tlv,
} from '../../pki/index.ts';
import {
  positiveInteger,
  publicKeyBitsOf,
  readTime,
  sameSerial,
  serialOf,
  subjectOf,
} from '../der-values.ts';
import { extendedKeyUsage, ID_KP_OCSP_SIGNING } from '../extensions.ts';
import { nodeHashOfOid, verifyWithAlgorithm } from '../signature.ts';
import {
  checkWindow,
  reasonName,
  RevocationProblem,
  type FreshnessOptions,
  type RevocationReason,
} from './types.ts';

const ID_SHA1 = '1.3.14.3.2.26';
const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';

export interface OcspRequest {
  der: Buffer;
  /** The nonce extension's value as sent (the DER OCTET STRING), undefined when none. */
  nonce: Buffer | undefined;
}

/** SHA-1 CertID: what every responder accepts (RFC 5019 §2.1.1). */
function certId(certificate: Buffer, issuer: Buffer): Buffer {
  const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();
  return seq(
    seq(oid(ID_SHA1), NULL),
    octets(sha1(subjectOf(issuer))),
    octets(sha1(publicKeyBitsOf(issuer))),
    positiveInteger(serialOf(certificate)),
  );
}

/** `nonce: false` leaves the nonce out (some CDN-fronted responders refuse requests with one). */
export function buildOcspRequest(
  certificate: Buffer,
  issuer: Buffer,
  options: { nonce?: Buffer | false } = {},
): OcspRequest {
  const request = seq(certId(certificate, issuer));
  if (options.nonce === false) return { der: seq(seq(seq(request))), nonce: undefined };
  // RFC 8954: the nonce is an OCTET STRING of 1..32 bytes inside extnValue.
  const nonce = octets(options.nonce ?? randomBytes(16));
  const extensions = tlv(0xa2, seq(seq(oid(ID_PKIX_OCSP_NONCE), octets(nonce))));
  return { der: seq(seq(seq(request), extensions)), nonce };
}

export interface OcspSingleResponse {
  hashOid: string;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serial: Buffer;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedOcspResponse {
  /** OCSPResponseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
  responseStatus: number;
  basic?: {
    tbsResponseData: Buffer;
    signatureAlgorithm: Buffer;
    signature: Buffer;
    responderName?: Buffer;
    responderKeyHash?: Buffer;
    producedAt: Date;
    responses: OcspSingleResponse[];
    nonce?: Buffer;
    certificates: Buffer[];
  };
}

function single(der: Buffer, t: Tlv): OcspSingleResponse {
  const [id, status, thisUpdate, ...rest] = children(der, t);
  if (!id || !status || !thisUpdate) throw new RevocationProblem('malformed SingleResponse');
  const [alg, nameHash, keyHash, serial] = children(der, id);
  const algOid = alg ? children(der, alg)[0] : undefined;
  if (!algOid || !nameHash || !keyHash || serial?.tag !== 0x02) {
    throw new RevocationProblem('malformed CertID');
  }
  const out: OcspSingleResponse = {
    hashOid: oidText(contentOf(der, algOid)),
    issuerNameHash: contentOf(der, nameHash),
    issuerKeyHash: contentOf(der, keyHash),
    serial: contentOf(der, serial),
    status: 'unknown',
    thisUpdate: readTime(der, thisUpdate),
  };
  if (status.tag === 0x80) out.status = 'good';
  else if (status.tag === 0xa1) {
    out.status = 'revoked';
    const [time, reason] = children(der, status);
    if (!time) throw new RevocationProblem('malformed RevokedInfo');
    out.revokedAt = readTime(der, time);
    const code = reason ? children(der, reason)[0] : undefined;
    if (code) out.reason = reasonName(contentOf(der, code)[0]);
  } else if (status.tag !== 0x82) throw new RevocationProblem('malformed CertStatus');
  const next = rest.find((r) => r.tag === 0xa0);
  const nextTime = next ? children(der, next)[0] : undefined;
  if (nextTime) out.nextUpdate = readTime(der, nextTime);
  return out;
}

export function parseOcspResponse(der: Buffer): ParsedOcspResponse {
  try {
    const [statusTlv, bytes] = children(der, readTlv(der, 0));
    if (statusTlv?.tag !== 0x0a) throw new RevocationProblem('not an OCSPResponse');
    const responseStatus = contentOf(der, statusTlv)[0] ?? 255;
    if (!bytes) return { responseStatus };
    const [type, value] = children(der, children(der, bytes)[0] ?? bytes);
    if (!type || oidText(contentOf(der, type)) !== ID_PKIX_OCSP_BASIC || value?.tag !== 0x04) {
      throw new RevocationProblem('not a basic OCSP response');
    }
    const b = contentOf(der, value);
    const [tbs, sigAlg, sig, certs] = children(b, readTlv(b, 0));
    if (tbs?.tag !== 0x30 || !sigAlg || sig?.tag !== 0x03)
      throw new RevocationProblem('malformed BasicOCSPResponse');
    const fields = children(b, tbs).filter((f, i) => !(i === 0 && f.tag === 0xa0));
    const [responder, producedAt, responses, extensions] = fields;
    if (!responder || !producedAt || responses?.tag !== 0x30)
      throw new RevocationProblem('malformed ResponseData');
    const responderValue = children(b, responder)[0];
    let nonce: Buffer | undefined;
    if (extensions?.tag === 0xa1) {
      for (const ext of children(b, children(b, extensions)[0] ?? extensions)) {
        const parts = children(b, ext);
        const extValue = parts[parts.length - 1];
        if (parts[0] && oidText(contentOf(b, parts[0])) === ID_PKIX_OCSP_NONCE && extValue) {
          nonce = contentOf(b, extValue);
        }
      }
    }
    const certificates =
      certs?.tag === 0xa0
        ? children(b, children(b, certs)[0] ?? certs).map((c) => elementOf(b, c))
        : [];
    return {
      responseStatus,
      basic: {
        tbsResponseData: elementOf(b, tbs),
        signatureAlgorithm: elementOf(b, sigAlg),
        signature: contentOf(b, sig).subarray(1),
        ...(responder.tag === 0xa1 && responderValue
          ? { responderName: elementOf(b, responderValue) }
          : {}),
        ...(responder.tag === 0xa2 && responderValue
          ? { responderKeyHash: contentOf(b, responderValue) }
          : {}),
        producedAt: readTime(b, producedAt),
        responses: children(b, responses).map((r) => single(b, r)),
        ...(nonce ? { nonce } : {}),
        certificates,
      },
    };
  } catch (error) {
    if (error instanceof RevocationProblem) throw error;
    throw new RevocationProblem(
      `unreadable OCSP response: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function hashWith(oidDotted: string, data: Buffer): Buffer | undefined {
  const name = nodeHashOfOid(oidDotted);
  return name ? createHash(name).update(data).digest() : undefined;
}

function namesResponder(basic: NonNullable<ParsedOcspResponse['basic']>, cert: Buffer): boolean {
  if (basic.responderName) return basic.responderName.equals(subjectOf(cert));
  if (basic.responderKeyHash) {
    return createHash('sha1').update(publicKeyBitsOf(cert)).digest().equals(basic.responderKeyHash);
  }
  return false;
}

/** The certificate that signed the response: the issuer itself or a delegated responder. */
function responderCertificate(
  basic: NonNullable<ParsedOcspResponse['basic']>,
  issuer: Buffer,
  now: Date,
): Buffer {
  if (namesResponder(basic, issuer)) return issuer;
  const issuerX = new X509Certificate(issuer);
  for (const candidate of basic.certificates) {
    if (!namesResponder(basic, candidate)) continue;
    const x = new X509Certificate(candidate);
    // RFC 6960 §4.2.2.2: a delegate is issued directly by the CA and carries id-kp-OCSPSigning.
    if (!x.checkIssued(issuerX) || !x.verify(issuerX.publicKey)) {
      throw new RevocationProblem('the OCSP responder certificate is not issued by the CA');
    }
    if (!extendedKeyUsage(candidate)?.oids.includes(ID_KP_OCSP_SIGNING)) {
      throw new RevocationProblem('the OCSP responder certificate lacks id-kp-OCSPSigning');
    }
    if (now < new Date(x.validFrom) || now > new Date(x.validTo)) {
      throw new RevocationProblem('the OCSP responder certificate is not valid now');
    }
    return candidate;
  }
  throw new RevocationProblem('the OCSP response is not signed by the CA or its responder');
}

/**
 * Checks a parsed response against what we asked and returns the answer for our certificate.
 * Throws RevocationProblem when the response must not be trusted.
 */
export function verifyOcspResponse(
  parsed: ParsedOcspResponse,
  request: { certificate: Buffer; issuer: Buffer; nonce: Buffer | undefined },
  options: FreshnessOptions = {},
): OcspSingleResponse & { producedAt: Date } {
  const { basic } = parsed;
  if (parsed.responseStatus !== 0 || !basic) {
    throw new RevocationProblem(`OCSP responder status ${parsed.responseStatus}`);
  }
  const now = options.now ?? new Date();
  const signer = responderCertificate(basic, request.issuer, now);
  const key = new X509Certificate(signer).publicKey;
  if (!verifyWithAlgorithm(basic.signatureAlgorithm, basic.tbsResponseData, basic.signature, key)) {
    throw new RevocationProblem('the OCSP response signature is invalid');
  }
  // A responder may not echo the nonce (pre-produced responses); when it does it must match.
  if (basic.nonce && request.nonce && !basic.nonce.equals(request.nonce)) {
    throw new RevocationProblem('the OCSP nonce does not match the request');
  }
  const serial = serialOf(request.certificate);
  const answer = basic.responses.find(
    (r) =>
      sameSerial(r.serial, serial) &&
      hashWith(r.hashOid, subjectOf(request.issuer))?.equals(r.issuerNameHash) === true &&
      hashWith(r.hashOid, publicKeyBitsOf(request.issuer))?.equals(r.issuerKeyHash) === true,
  );
  if (!answer) throw new RevocationProblem('the OCSP response is about another certificate');
  checkWindow(answer.thisUpdate, answer.nextUpdate, options);
  const skew = options.clockSkewMs ?? 5 * 60_000;
  if (basic.producedAt.getTime() > now.getTime() + skew) {
    throw new RevocationProblem('producedAt is in the future');
  }
  return { ...answer, producedAt: basic.producedAt };
}
