/**
 * The DER certificate reader (x509-fields.ts, parseCertificate) against the schema library it
 * replaced (@peculiar/asn1-x509), on certificates openssl makes with every string type a
 * Vietnamese CA writes (UTF8String, BMPString, T61String, PrintableString) and the extensions
 * verification and revocation checking read, and on Names built by hand with the rarer types.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  BasicConstraints,
  Certificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_pe_authorityInfoAccess,
  KeyUsage,
  KeyUsageFlags,
  Name,
} from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestPki } from '../../native-test/pki.ts';
import { crlUrls, extendedKeyUsage, ocspUrls } from '../ltv/extensions.ts';
import { readTlv, seq, set, tlv, oid } from './der.ts';
import { parseCertificate } from './index.ts';
import { keyUsageFlags, nameAttributes } from './x509-fields.ts';

let dir: string;
const certificates: { label: string; der: Buffer }[] = [];

/** One self-signed certificate from openssl req with `mask` deciding the string types. */
function makeCertificate(label: string, subject: string, mask: string, ext: string[]): void {
  const config = join(dir, `${label}.cnf`);
  writeFileSync(config, `[req]\ndistinguished_name = dn\nstring_mask = ${mask}\n[dn]\n`);
  const out = join(dir, `${label}.der`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, `${label}.key`),
      '-outform',
      'DER',
      '-out',
      out,
      '-days',
      '30',
      '-config',
      config,
      '-utf8',
      '-subj',
      subject,
      ...ext.flatMap((e) => ['-addext', e]),
    ],
    { stdio: 'ignore' },
  );
  certificates.push({ label, der: readFileSync(out) });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kyso-x509-'));
  const vietnamese =
    '/C=VN/ST=Hà Nội/O=Công ty Cổ phần Đầu tư/CN=Nguyễn Văn Ánh/UID=CMND:012345678';
  const signing = [
    'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,decipherOnly',
    'extendedKeyUsage=emailProtection,1.3.6.1.4.1.311.10.3.12,1.2.3.4',
    'authorityInfoAccess=OCSP;URI:http://ocsp.example.vn,caIssuers;URI:http://ca.example.vn/ca.crt,OCSP;URI:ldap://x',
    'crlDistributionPoints=URI:http://crl.example.vn/a.crl,URI:ldap://crl.example.vn/b',
  ];
  makeCertificate('utf8', vietnamese, 'utf8only', signing);
  makeCertificate('bmp', vietnamese, 'default', ['basicConstraints=critical,CA:TRUE']);
  makeCertificate('t61', '/C=DE/O=Müller GmbH/CN=Zoë', 'default', [
    'keyUsage=keyCertSign,cRLSign',
    'extendedKeyUsage=critical,timeStamping',
  ]);
  makeCertificate('printable', '/C=VN/O=Plain/CN=Plain Signer', 'nombstr', [
    'basicConstraints=CA:FALSE',
  ]);
  // The test PKI's CAs, as the global setup makes them (never a path relative to the cwd).
  const pki = loadTestPki();
  for (const pem of [pki.rootCaPem, pki.issuingCaPem]) {
    const text = readFileSync(pem, 'latin1');
    const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END/.exec(text)?.[1] ?? '';
    certificates.push({
      label: basename(pem),
      der: Buffer.from(body.replace(/\s+/g, ''), 'base64'),
    });
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What parseCertificate returned when it read certificates with the schema library. */
function bySchema(der: Buffer) {
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
  const names = (name: Name) =>
    name.flatMap((rdn) => rdn.map((atv) => ({ oid: atv.type, value: atv.value.toString() })));
  const ext = (id: string) => tbs.extensions?.find((e) => e.extnID === id);
  const value = (id: string) => ext(id)?.extnValue.buffer;
  const ku = value(id_ce_keyUsage);
  const eku = value(id_ce_extKeyUsage);
  const bc = value(id_ce_basicConstraints);
  const aia = value(id_pe_authorityInfoAccess);
  const crl = value(id_ce_cRLDistributionPoints);
  return {
    subject: names(tbs.subject),
    issuer: names(tbs.issuer),
    keyUsage: ku ? AsnConvert.parse(ku, KeyUsage).toNumber() : 0,
    eku: eku
      ? {
          oids: [...AsnConvert.parse(eku, ExtendedKeyUsage)],
          critical: Boolean(ext(id_ce_extKeyUsage)?.critical),
        }
      : undefined,
    isCA: bc ? AsnConvert.parse(bc, BasicConstraints).cA : false,
    ocsp: aia
      ? AsnConvert.parse(aia, AuthorityInfoAccessSyntax)
          .filter((d) => d.accessMethod === '1.3.6.1.5.5.7.48.1')
          .map((d) => d.accessLocation.uniformResourceIdentifier)
          .filter((u): u is string => u !== undefined && /^https?:\/\//i.test(u))
      : [],
    crl: crl
      ? AsnConvert.parse(crl, CRLDistributionPoints)
          .flatMap((p) => p.distributionPoint?.fullName ?? [])
          .map((n) => n.uniformResourceIdentifier)
          .filter((u): u is string => u !== undefined && /^https?:\/\//i.test(u))
      : [],
  };
}

describe('certificate fields read from the DER, as the schema library read them', () => {
  it('names, key usage, extended key usage, CA flag, OCSP and CRL URLs', () => {
    expect(certificates.length).toBe(6);
    for (const { label, der } of certificates) {
      const want = bySchema(der);
      const got = parseCertificate(der);
      const pairs = (n: typeof got.subject) =>
        n.attributes.map((a) => ({ oid: a.oid, value: a.value }));
      expect(pairs(got.subject), label).toEqual(want.subject);
      expect(pairs(got.issuer), label).toEqual(want.issuer);
      expect(got.isCA, label).toBe(want.isCA);
      expect(extendedKeyUsage(der), label).toEqual(want.eku);
      expect(ocspUrls(der), label).toEqual(want.ocsp);
      expect(crlUrls(der), label).toEqual(want.crl);
      const usages = Object.entries(KeyUsageFlags)
        .filter(([, bit]) => typeof bit === 'number' && (want.keyUsage & bit) !== 0)
        .map(([usage]) => usage);
      expect(got.keyUsage, label).toEqual(usages);
    }
    const utf8 = parseCertificate(certificates[0]?.der ?? Buffer.alloc(0));
    expect(utf8.commonName).toBe('Nguyễn Văn Ánh');
    expect(utf8.subject.text).toContain('O=Công ty Cổ phần Đầu tư');
    expect(utf8.keyUsage).toEqual([
      'digitalSignature',
      'nonRepudiation',
      'keyEncipherment',
      'decipherOnly',
    ]);
    expect(utf8.extendedKeyUsage).toEqual(['emailProtection', 'documentSigning', '1.2.3.4']);
    expect(ocspUrls(certificates[0]?.der ?? Buffer.alloc(0))).toEqual(['http://ocsp.example.vn']);
    expect(parseCertificate(certificates[1]?.der ?? Buffer.alloc(0)).commonName).toBe(
      'Nguyễn Văn Ánh',
    );
  });

  it('key usage bits, with and without unused bits, as flags', () => {
    const cases = [
      Buffer.from([0x03, 0x02, 0x07, 0x80]), // digitalSignature
      Buffer.from([0x03, 0x02, 0x05, 0xe0]), // three bits
      Buffer.from([0x03, 0x03, 0x07, 0x86, 0x80]), // up to decipherOnly
      Buffer.from([0x03, 0x02, 0x01, 0x06]), // keyCertSign, cRLSign
      Buffer.from([0x03, 0x01, 0x00]), // none
    ];
    for (const bits of cases) {
      const want = AsnConvert.parse(bits, KeyUsage).toNumber();
      expect(keyUsageFlags(bits), bits.toString('hex')).toBe(Number.isNaN(want) ? 0 : want);
    }
  });

  it('every attribute string type, invalid UTF-8 and unknown types (hex of the DER)', () => {
    const atv = (type: string, tag: number, bytes: Buffer) => set(seq(oid(type), tlv(tag, bytes)));
    const name = seq(
      atv('2.5.4.3', 0x0c, Buffer.from('Trần Thị Bích', 'utf8')),
      atv('2.5.4.3', 0x0c, Buffer.from([0x41, 0xc3, 0x28])), // not UTF-8
      atv('2.5.4.10', 0x1e, Buffer.from('Đức', 'utf16le').swap16()),
      atv('2.5.4.11', 0x1c, Buffer.from([0, 0, 0x1e, 0xa0, 0, 0, 0, 0x41])),
      atv('2.5.4.5', 0x13, Buffer.from('12345')),
      atv('2.5.4.7', 0x14, Buffer.from([0x5a, 0xfc, 0x72])),
      atv('1.2.840.113549.1.9.1', 0x16, Buffer.from('a@b.vn')),
      atv('2.5.4.5', 0x12, Buffer.from('0123')), // NumericString: no DirectoryString type
      atv('1.2.3.4', 0x02, Buffer.from([0x05])),
      set(
        seq(oid('2.5.4.6'), tlv(0x13, Buffer.from('VN'))),
        seq(oid('2.5.4.8'), tlv(0x0c, Buffer.alloc(0))),
      ),
    );
    const want = AsnConvert.parse(name, Name).flatMap((rdn) =>
      rdn.map((a) => ({ oid: a.type, value: a.value.toString() })),
    );
    expect(nameAttributes(name, readTlv(name, 0))).toEqual(want);
    expect(want[0]?.value).toBe('Trần Thị Bích');
  });

  it('a certificate that is not one fails with INVALID_INPUT', () => {
    expect(() => parseCertificate(Buffer.from('30030201ff', 'hex'))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
