import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import { CKM_ECDSA, CKM_RSA_PKCS, chooseMechanism } from './mechanism-choice.ts';

const hashAndSignOnly = new Set([0x40, 0x41, 0x42, 0x43, 0x1044, 0x1045]);

describe('chooseMechanism', () => {
  it('signs a digest with the raw mechanism when the token offers it', () => {
    expect(chooseMechanism('RSASSA-PKCS1-v1_5', 'SHA-256', 'digest', new Set([1]))).toEqual({
      mechanism: CKM_RSA_PKCS,
      hashOnHost: false,
      digestInfo: true,
      pss: false,
    });
    // A module that does not list its mechanisms gets the raw one.
    expect(chooseMechanism('ECDSA', 'SHA-384', 'digest', undefined).mechanism).toBe(CKM_ECDSA);
  });

  it('hashes data on the host when the raw mechanism is there', () => {
    expect(chooseMechanism('ECDSA', 'SHA-256', 'data', new Set([CKM_ECDSA, 0x1044]))).toEqual({
      mechanism: CKM_ECDSA,
      hashOnHost: true,
      digestInfo: false,
      pss: false,
    });
  });

  it('lets a hash-and-sign-only token hash the data itself', () => {
    expect(chooseMechanism('RSASSA-PKCS1-v1_5', 'SHA-384', 'data', hashAndSignOnly).mechanism).toBe(
      0x41,
    );
    expect(chooseMechanism('RSA-PSS', 'SHA-256', 'data', hashAndSignOnly)).toMatchObject({
      mechanism: 0x43,
      pss: true,
    });
    expect(chooseMechanism('ECDSA', 'SHA-384', 'data', hashAndSignOnly).mechanism).toBe(0x1045);
  });

  it('refuses a digest on a hash-and-sign-only token and says why', () => {
    try {
      chooseMechanism('RSASSA-PKCS1-v1_5', 'SHA-256', 'digest', hashAndSignOnly);
      expect.unreachable();
    } catch (error) {
      expect(isKysoError(error, 'MECHANISM_UNSUPPORTED')).toBe(true);
      if (!isKysoError(error)) return;
      expect(String(error.details.reason)).toMatch(/CKM_SHA256_RSA_PKCS.*to-be-signed data/);
    }
    expect(() => chooseMechanism('ECDSA', 'SHA-512', 'data', hashAndSignOnly)).toThrow(
      /MECHANISM_UNSUPPORTED/,
    );
  });
});
