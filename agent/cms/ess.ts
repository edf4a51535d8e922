/**
 * ESS signing-certificate-v2 (RFC 5035): binds the signer certificate into the signed
 * attributes, required by PAdES B-B. Written with the DER helpers; ./schema-reference.ts
 * declares the same structure with the schema library, and a test holds the two equal.
 */
import { createHash } from 'node:crypto';
import { issuerAndSerialOf, octets, seq, tlv } from '../pki/index.ts';

export const id_aa_signingCertificateV2 = '1.2.840.113549.1.9.16.2.47';

/**
 * SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 } with one ESSCertIDv2 for `certificate`
 * (parsing it with the schema library cost ~10 ms on a cold start).
 * certHash is SHA-256 (the DEFAULT, so hashAlgorithm is omitted); issuerSerial names the
 * issuer as a directoryName ([4], explicit because Name is a CHOICE).
 */
export function encodeSigningCertificateV2(certificate: Buffer): Buffer {
  const { issuer, serial } = issuerAndSerialOf(certificate);
  const certHash = createHash('sha256').update(certificate).digest();
  const issuerSerial = seq(seq(tlv(0xa4, issuer)), serial);
  return seq(seq(seq(octets(certHash), issuerSerial)));
}
