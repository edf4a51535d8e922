/**
 * Issues X.509 certificates for the TEST PKI. Test-only: CA keys live in software in the test
 * directory; subscriber keys are generated on the SoftHSM2 tokens and never leave them.
 */
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';

const nameOids: Record<string, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  CN: '2.5.4.3',
  UID: '0.9.2342.19200300.100.1.1',
};

/** Name from [type, value] pairs, most general first (C first), as CAs encode it. */
export function buildName(parts: Array<[keyof typeof nameOids, string]>): Name {
  return new Name(
    parts.map(([type, value]) => {
      const oid = nameOids[type];
      if (!oid) throw new Error(`unknown name attribute ${type}`);
      const attributeValue =
        type === 'C'
          ? new AttributeValue({ printableString: value })
          : new AttributeValue({ utf8String: value });
      return new RelativeDistinguishedName([
        new AttributeTypeAndValue({ type: oid, value: attributeValue }),
      ]);
    }),
  );
}

export interface IssueOptions {
  subject: Name;
  subjectPublicKeyDer: Buffer;
  issuer: Name;
  issuerKey: KeyObject;
  issuerPublicKeyDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  keyUsage: number;
  extendedKeyUsage?: string[];
}

function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({
    extnID,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

/** asn1-schema wants ArrayBuffer, not a Buffer view into a shared pool. */
function arrayBuffer(buffer: Buffer): ArrayBuffer {
  return new Uint8Array(buffer).buffer;
}

export function issueCertificate(options: IssueOptions): Buffer {
  const extensions = [
    extension(
      id_ce_basicConstraints,
      true,
      new BasicConstraints(options.isCA ? { cA: true } : { cA: false }),
    ),
    extension(id_ce_keyUsage, true, new KeyUsage(options.keyUsage)),
    extension(
      id_ce_subjectKeyIdentifier,
      false,
      new SubjectKeyIdentifier(keyIdentifier(options.subjectPublicKeyDer)),
    ),
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({
        keyIdentifier: new KeyIdentifier(keyIdentifier(options.issuerPublicKeyDer)),
      }),
    ),
  ];
  if (options.extendedKeyUsage) {
    extensions.push(
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage(options.extendedKeyUsage)),
    );
  }
  const serial = randomBytes(16);
  // Positive, and minimal DER (a leading zero byte would be rejected as non-canonical).
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const signatureAlgorithm = new AlgorithmIdentifier({
    algorithm: '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
    parameters: null,
  });
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: arrayBuffer(serial),
    signature: signatureAlgorithm,
    issuer: options.issuer,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: options.subject,
    subjectPublicKeyInfo: AsnConvert.parse(options.subjectPublicKeyDer, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, options.issuerKey);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm,
    signatureValue: arrayBuffer(signature),
  });
  return Buffer.from(AsnConvert.serialize(certificate));
}

export function spkiOf(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({
    type: 'spki',
    format: 'der',
  });
}

export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export { KeyUsageFlags };
