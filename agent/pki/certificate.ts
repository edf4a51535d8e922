/**
 * Parses an X.509 certificate into the fields people and filters need, with Vietnamese
 * diacritics intact (UTF8String/BMPString decoded as such, never escaped).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import type { CertificateInfo, DistinguishedName } from '../protocol/index.ts';
import {
  basicConstraintsCa,
  keyUsageFlags,
  nameAttributes,
  objectIdentifiers,
  tbsFields,
  type NameAttribute,
} from './x509-fields.ts';

const ID_CE_KEY_USAGE = '2.5.29.15';
const ID_CE_BASIC_CONSTRAINTS = '2.5.29.19';
const ID_CE_EXT_KEY_USAGE = '2.5.29.37';

const attributeNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** KeyUsage named bits (RFC 5280 §4.2.1.3) as flags: bit n is 1 << n. */
const keyUsageNames: Array<[number, string]> = [
  [1 << 0, 'digitalSignature'],
  [1 << 1, 'nonRepudiation'],
  [1 << 2, 'keyEncipherment'],
  [1 << 3, 'dataEncipherment'],
  [1 << 4, 'keyAgreement'],
  [1 << 5, 'keyCertSign'],
  [1 << 6, 'cRLSign'],
  [1 << 7, 'encipherOnly'],
  [1 << 8, 'decipherOnly'],
];

const ekuNames: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.311.10.3.12': 'documentSigning',
  '1.2.840.113583.1.1.5': 'pdfAuthenticDocuments',
};

const curveNames: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^(\s|#)/, '\\$1')
    .replace(/\s$/, '\\ ');
}

/** A Name's attributes as DistinguishedName: RFC 4514 text (last RDN first) and the list. */
export function parseName(nameAttributes: readonly NameAttribute[]): DistinguishedName {
  const attributes = nameAttributes.map((a) => ({
    oid: a.oid,
    type: attributeNames[a.oid] ?? a.oid,
    value: a.value,
  }));
  const text = [...attributes]
    .reverse()
    .map((a) => `${a.type}=${escapeValue(a.value)}`)
    .join(', ');
  return { text, attributes };
}

export type ParsedCertificate = Omit<
  CertificateInfo,
  'tokenId' | 'label' | 'keyId' | 'hasPrivateKey' | 'alwaysAuthenticate'
>;

export function parseCertificate(der: Buffer): ParsedCertificate {
  let x509: X509Certificate;
  let subject: DistinguishedName;
  let issuer: DistinguishedName;
  let keyUsage: string[] = [];
  let extendedKeyUsage: string[] = [];
  let isCA = false;
  try {
    x509 = new X509Certificate(der);
    const tbs = tbsFields(der);
    subject = parseName(nameAttributes(der, tbs.subject));
    issuer = parseName(nameAttributes(der, tbs.issuer));
    for (const extension of tbs.extensions) {
      if (extension.oid === ID_CE_KEY_USAGE) {
        const flags = keyUsageFlags(extension.value);
        keyUsage = keyUsageNames.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
      } else if (extension.oid === ID_CE_EXT_KEY_USAGE) {
        extendedKeyUsage = objectIdentifiers(extension.value).map((oid) => ekuNames[oid] ?? oid);
      } else if (extension.oid === ID_CE_BASIC_CONSTRAINTS) {
        isCA = basicConstraintsCa(extension.value);
      }
    }
  } catch (error) {
    throw new KysoError('INVALID_INPUT', {
      reason: 'certificate could not be parsed',
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  const publicKey = x509.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const keyType = publicKey.asymmetricKeyType;
  const keyAlgorithm =
    keyType === 'rsa' || keyType === 'rsa-pss' ? 'RSA' : keyType === 'ec' ? 'EC' : 'other';
  const curve = details.namedCurve;
  const curveSize: Record<string, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };
  const namedCurve = curve ? (curveNames[curve] ?? curve) : undefined;
  const commonName =
    subject.attributes.find((a) => a.type === 'CN')?.value ??
    subject.attributes.find((a) => a.type === 'O')?.value ??
    subject.text;
  return {
    id: createHash('sha256').update(der).digest('hex'),
    subject,
    issuer,
    commonName,
    serialNumber: x509.serialNumber.replace(/^0+(?=.)/, '').toUpperCase(),
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    keyUsage,
    extendedKeyUsage,
    keyAlgorithm,
    keySize:
      keyAlgorithm === 'RSA'
        ? (details.modulusLength ?? 0)
        : namedCurve
          ? (curveSize[namedCurve] ?? 0)
          : 0,
    ...(namedCurve ? { namedCurve } : {}),
    isCA,
    certificate: der.toString('base64'),
  };
}

const SIGNING_KEY_USAGES = ['digitalSignature', 'nonRepudiation'];

/** A certificate without a keyUsage extension may sign; one with it must allow signing. */
export function keyUsageAllowsSigning(keyUsage: readonly string[]): boolean {
  return keyUsage.length === 0 || keyUsage.some((u) => SIGNING_KEY_USAGES.includes(u));
}

/**
 * Refuses, with the code that tells the user what to do, a certificate that must not sign
 * now: no private key on the token, expired, not yet valid, or not meant for signing. Every
 * signing entry point (socket, CLI) checks this before asking for the PIN.
 */
export function assertUsableForSigning(
  certificate: Pick<
    CertificateInfo,
    'id' | 'hasPrivateKey' | 'notBefore' | 'notAfter' | 'keyUsage'
  >,
  now: Date,
): void {
  const certificateId = certificate.id;
  if (!certificate.hasPrivateKey) throw new KysoError('KEY_NOT_FOUND', { certificateId });
  if (now < new Date(certificate.notBefore)) {
    throw new KysoError('CERTIFICATE_NOT_YET_VALID', {
      certificateId,
      notBefore: certificate.notBefore,
    });
  }
  if (now > new Date(certificate.notAfter)) {
    throw new KysoError('CERTIFICATE_EXPIRED', { certificateId, notAfter: certificate.notAfter });
  }
  if (!keyUsageAllowsSigning(certificate.keyUsage)) {
    throw new KysoError('KEY_USAGE_NOT_ALLOWED', { certificateId });
  }
}
