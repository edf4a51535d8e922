import { createSign, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import { assertDigest, digestInfo, ecdsaRawToDer } from './mechanisms.ts';

describe('mechanisms', () => {
  it('converts PKCS#11 r||s to a DER ECDSA-Sig-Value that node:crypto accepts', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 50; i++) {
      const data = Buffer.from(`message ${i}`);
      const raw = createSign('sha256')
        .update(data)
        .sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = ecdsaRawToDer(raw);
      expect(der[0]).toBe(0x30);
      expect(verify('sha256', data, publicKey, der)).toBe(true);
    }
  });

  it('rejects an odd-length raw ECDSA signature', () => {
    expect(() => ecdsaRawToDer(Buffer.alloc(63))).toThrow(/SIGNING_FAILED/);
  });

  it('builds DigestInfo and checks digest lengths', () => {
    const digest = Buffer.alloc(32, 7);
    expect(digestInfo('SHA-256', digest).toString('hex')).toBe(
      '3031300d060960864801650304020105000420' + digest.toString('hex'),
    );
    try {
      assertDigest('SHA-512', digest);
      expect.unreachable();
    } catch (error) {
      expect(isKysoError(error, 'HASH_LENGTH_MISMATCH')).toBe(true);
    }
  });
});
