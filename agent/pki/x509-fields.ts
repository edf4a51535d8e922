/**
 * The fields of an X.509 certificate (RFC 5280 §4.1) that people and verification read, taken
 * straight from its DER: names, extensions, key usage. Loading and running an ASN.1 schema
 * library for them cost `kyso verify` ~40 ms of its start-up (bench/verify.ts). Strings decode
 * as the schema library (@peculiar/asn1-x509) did, which the tests hold this reader equal to.
 */
import { children, contentOf, elementOf, oidText, readTlv, type Tlv } from './der.ts';

export interface NameAttribute {
  oid: string;
  value: string;
}

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** Contents of extnValue: the DER of the extension's own value. */
  value: Buffer;
}

export interface TbsFields {
  serial: Tlv;
  issuer: Tlv;
  subject: Tlv;
  extensions: CertificateExtension[];
}

const TAG = {
  boolean: 0x01,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  universalString: 0x1c,
  bmpString: 0x1e,
  sequence: 0x30,
  explicit3: 0xa3,
} as const;

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t?.tag !== tag) throw new Error(`bad certificate: ${what}`);
  return t;
}

/** The tbsCertificate fields this module reads; throws on a structure that is not one. */
export function tbsFields(der: Buffer): TbsFields {
  const certificate = expectTag(readTlv(der, 0), TAG.sequence, 'Certificate');
  const tbs = expectTag(children(der, certificate)[0], TAG.sequence, 'tbsCertificate');
  const fields = children(der, tbs);
  const at = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const serial = expectTag(fields[at], 0x02, 'serialNumber');
  const issuer = expectTag(fields[at + 2], TAG.sequence, 'issuer');
  const subject = expectTag(fields[at + 4], TAG.sequence, 'subject');
  const wrapper = fields.slice(at + 6).find((f) => f.tag === TAG.explicit3);
  const list = wrapper
    ? expectTag(children(der, wrapper)[0], TAG.sequence, 'extensions')
    : undefined;
  const extensions = list ? children(der, list).map((e) => extensionOf(der, e)) : [];
  return { serial, issuer, subject, extensions };
}

function extensionOf(der: Buffer, e: Tlv): CertificateExtension {
  const [id, second, third] = children(der, expectTag(e, TAG.sequence, 'Extension'));
  const critical = second?.tag === TAG.boolean;
  const value = expectTag(critical ? third : second, TAG.octetString, 'extnValue');
  return {
    oid: oidText(contentOf(der, expectTag(id, TAG.oid, 'extnID'))),
    critical: critical && second !== undefined && contentOf(der, second).some((b) => b !== 0),
    value: contentOf(der, value),
  };
}

/** The extensions of a certificate (none for v1/v2). */
export function certificateExtensions(der: Buffer): CertificateExtension[] {
  return tbsFields(der).extensions;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Two-byte code units, big-endian; an odd last byte is dropped. */
function codeUnits(bytes: Buffer, width: 2 | 4): string {
  let out = '';
  for (let i = 0; i + width <= bytes.length; i += width) {
    // UniversalString: the schema library kept the low 16 bits of each code point.
    out += String.fromCharCode(((bytes[i + width - 2] ?? 0) << 8) | (bytes[i + width - 1] ?? 0));
  }
  return out;
}

/**
 * An attribute value as text: the DirectoryString types and IA5String decoded (UTF8String
 * that is not valid UTF-8 read as Latin-1), any other type as the hex of its DER.
 */
export function attributeValueText(der: Buffer, value: Tlv): string {
  const bytes = contentOf(der, value);
  switch (value.tag) {
    case TAG.utf8String:
      try {
        return utf8.decode(bytes);
      } catch {
        return bytes.toString('latin1');
      }
    case TAG.printableString:
    case TAG.teletexString:
    case TAG.ia5String:
      return bytes.toString('latin1');
    case TAG.bmpString:
      return codeUnits(bytes, 2);
    case TAG.universalString:
      return codeUnits(bytes, 4);
    default:
      return elementOf(der, value).toString('hex');
  }
}

/** Attributes of a Name (RDNSequence), in encoded order. */
export function nameAttributes(der: Buffer, name: Tlv): NameAttribute[] {
  return children(der, name).flatMap((rdn) =>
    children(der, rdn).map((atv) => {
      const [type, value] = children(der, atv);
      if (!value) throw new Error('bad certificate: AttributeTypeAndValue');
      return {
        oid: oidText(contentOf(der, expectTag(type, TAG.oid, 'attribute type'))),
        value: attributeValueText(der, value),
      };
    }),
  );
}

/** KeyUsage bits as flags: bit n of the BIT STRING (n = 0 is digitalSignature) is 1 << n. */
export function keyUsageFlags(value: Buffer): number {
  const bits = expectTag(readTlv(value, 0), TAG.bitString, 'KeyUsage');
  const unused = value[bits.start] ?? 0;
  const total = (bits.end - bits.start - 1) * 8 - unused;
  let flags = 0;
  for (let n = 0; n < total; n++) {
    if (((value[bits.start + 1 + (n >> 3)] ?? 0) >> (7 - (n & 7))) & 1) flags += 2 ** n;
  }
  return flags;
}

/** OIDs of an ExtendedKeyUsage (SEQUENCE OF KeyPurposeId). */
export function objectIdentifiers(value: Buffer): string[] {
  const list = expectTag(readTlv(value, 0), TAG.sequence, 'SEQUENCE OF OBJECT IDENTIFIER');
  return children(value, list).map((t) => oidText(contentOf(value, expectTag(t, TAG.oid, 'OID'))));
}

/** BasicConstraints cA (DEFAULT FALSE). */
export function basicConstraintsCa(value: Buffer): boolean {
  const list = expectTag(readTlv(value, 0), TAG.sequence, 'BasicConstraints');
  const first = children(value, list)[0];
  return first?.tag === TAG.boolean && contentOf(value, first).some((b) => b !== 0);
}
