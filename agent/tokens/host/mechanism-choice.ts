/**
 * Which PKCS#11 mechanism signs a request, from what the token offers (C_GetMechanismList,
 * cached per slot). Raw mechanisms (CKM_RSA_PKCS over a DigestInfo, CKM_RSA_PKCS_PSS,
 * CKM_ECDSA) sign a digest made on the host; tokens that offer only hash-and-sign mechanisms
 * (CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256, ...) need the to-be-signed bytes and hash them
 * themselves. Pure: no token needed.
 */
import { KysoError } from '../../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../types.ts';

export const CKM_RSA_PKCS = 0x1;
export const CKM_RSA_PKCS_PSS = 0x0d;
export const CKM_ECDSA = 0x1041;

const raw: Record<SignatureScheme, number> = {
  'RSASSA-PKCS1-v1_5': CKM_RSA_PKCS,
  'RSA-PSS': CKM_RSA_PKCS_PSS,
  ECDSA: CKM_ECDSA,
};

const hashAndSign: Record<SignatureScheme, Record<HashAlgorithm, number>> = {
  'RSASSA-PKCS1-v1_5': { 'SHA-256': 0x40, 'SHA-384': 0x41, 'SHA-512': 0x42 },
  'RSA-PSS': { 'SHA-256': 0x43, 'SHA-384': 0x44, 'SHA-512': 0x45 },
  ECDSA: { 'SHA-256': 0x1044, 'SHA-384': 0x1045, 'SHA-512': 0x1046 },
};

const names = new Map<number, string>([
  [CKM_RSA_PKCS, 'CKM_RSA_PKCS'],
  [CKM_RSA_PKCS_PSS, 'CKM_RSA_PKCS_PSS'],
  [CKM_ECDSA, 'CKM_ECDSA'],
  [0x40, 'CKM_SHA256_RSA_PKCS'],
  [0x41, 'CKM_SHA384_RSA_PKCS'],
  [0x42, 'CKM_SHA512_RSA_PKCS'],
  [0x43, 'CKM_SHA256_RSA_PKCS_PSS'],
  [0x44, 'CKM_SHA384_RSA_PKCS_PSS'],
  [0x45, 'CKM_SHA512_RSA_PKCS_PSS'],
  [0x1044, 'CKM_ECDSA_SHA256'],
  [0x1045, 'CKM_ECDSA_SHA384'],
  [0x1046, 'CKM_ECDSA_SHA512'],
]);

export function mechanismName(mechanism: number): string {
  return names.get(mechanism) ?? `0x${mechanism.toString(16)}`;
}

export interface MechanismChoice {
  mechanism: number;
  /** The host hashes data before signing (a raw mechanism fed with 'data'). */
  hashOnHost: boolean;
  /** CKM_RSA_PKCS wants the DigestInfo, not the bare digest. */
  digestInfo: boolean;
  /** PSS mechanisms take CK_RSA_PKCS_PSS_PARAMS. */
  pss: boolean;
}

/**
 * @param offered the token's mechanisms; undefined when it would not say (then raw is tried).
 */
export function chooseMechanism(
  scheme: SignatureScheme,
  hashAlgorithm: HashAlgorithm,
  input: 'digest' | 'data',
  offered: ReadonlySet<number> | undefined,
): MechanismChoice {
  const offers = (mechanism: number) => offered === undefined || offered.has(mechanism);
  const pss = scheme === 'RSA-PSS';
  const rawMechanism = raw[scheme];
  if (offers(rawMechanism)) {
    return {
      mechanism: rawMechanism,
      hashOnHost: input === 'data',
      digestInfo: scheme === 'RSASSA-PKCS1-v1_5',
      pss,
    };
  }
  const combined = hashAndSign[scheme][hashAlgorithm];
  if (offered?.has(combined) && input === 'data') {
    return { mechanism: combined, hashOnHost: false, digestInfo: false, pss };
  }
  const reason = offered?.has(combined)
    ? `the token signs ${scheme} only with ${mechanismName(combined)}, which hashes on the token: it cannot sign a digest made elsewhere; sign the to-be-signed data instead`
    : `the token offers neither ${mechanismName(rawMechanism)} nor ${mechanismName(combined)}`;
  throw new KysoError('MECHANISM_UNSUPPORTED', { scheme, hashAlgorithm, input, reason });
}
