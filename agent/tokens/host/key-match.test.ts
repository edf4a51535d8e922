import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KeyUsageFlags,
  buildName,
  issueCertificate,
  spkiOf,
} from '../../../softhsm/certificates.ts';
import {
  certificateKey,
  matchKey,
  unsignedHex,
  unwrapEcPoint,
  type KeyFacts,
} from './key-match.ts';

function selfSigned(keys: ReturnType<typeof generateKeyPairSync>): Buffer {
  const name = buildName([['CN', 'Khớp khóa TEST']]);
  return issueCertificate({
    subject: name,
    subjectPublicKeyDer: spkiOf(keys.publicKey),
    issuer: name,
    issuerKey: keys.privateKey,
    issuerPublicKeyDer: spkiOf(keys.publicKey),
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + 86_400_000),
    isCA: false,
    keyUsage: KeyUsageFlags.digitalSignature,
  });
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaCert = certificateKey(selfSigned(rsa), 'aa', 'Khớp khóa TEST');
const ecCert = certificateKey(selfSigned(ec), 'bb', 'Khớp khóa TEST');

describe('matchKey', () => {
  it('reads the public key of RSA and EC certificates', () => {
    expect(rsaCert.exponent).toBe('010001');
    expect(rsaCert.modulus).toHaveLength(512);
    expect(ecCert.ecPoint).toMatch(/^04[0-9a-f]{128}$/);
  });

  it('matches by CKA_ID, unless the key is visibly another one', () => {
    const other: KeyFacts = { id: 'aa', label: '', modulus: '00ff', exponent: '010001' };
    const same: KeyFacts = {
      id: 'cc',
      label: '',
      modulus: rsaCert.modulus ?? '',
      exponent: '010001',
    };
    expect(matchKey(rsaCert, [{ id: 'aa', label: '' }])).toEqual({ id: 'aa', label: '' });
    // Same CKA_ID but another modulus: the modulus wins.
    expect(matchKey(rsaCert, [other, same])).toBe(same);
  });

  it('matches by EC point (bare or DER-wrapped) and by SPKI', () => {
    const point = Buffer.from(ecCert.ecPoint ?? '', 'hex');
    const wrapped = Buffer.concat([Buffer.from([0x04, point.length]), point]);
    expect(unwrapEcPoint(wrapped).equals(point)).toBe(true);
    expect(unwrapEcPoint(point).equals(point)).toBe(true);
    const key: KeyFacts = { id: 'zz', label: '', ecPoint: unwrapEcPoint(wrapped).toString('hex') };
    expect(matchKey(ecCert, [key])).toBe(key);
    const bySpki: KeyFacts = { id: 'yy', label: '', spki: ecCert.spki ?? '' };
    expect(matchKey(ecCert, [bySpki])).toBe(bySpki);
  });

  it('falls back to a label only one key carries', () => {
    const a: KeyFacts = { id: '01', label: 'Khớp khóa TEST' };
    const b: KeyFacts = { id: '02', label: 'Khớp khóa TEST' };
    expect(matchKey(ecCert, [a])).toBe(a);
    expect(matchKey(ecCert, [a, b])).toBeUndefined();
    // An RSA key with that label is not the EC certificate's.
    expect(
      matchKey(ecCert, [{ id: '03', label: 'Khớp khóa TEST', modulus: '00ff' }]),
    ).toBeUndefined();
  });

  it('compares integers without leading zeros', () => {
    expect(unsignedHex(Buffer.from([0, 0, 1, 0]))).toBe('0100');
  });
});
