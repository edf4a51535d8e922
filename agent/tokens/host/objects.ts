/** Key discovery: the certificates on a token, and the private key behind a CKA_ID. */
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors/index.ts';
import type { RawCertificate } from './protocol.ts';

export interface PrivateKey {
  key: Buffer;
  /** CKA_ALWAYS_AUTHENTICATE: a context-specific login before each signature. */
  alwaysAuthenticate: boolean;
}

function hex(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('hex') : '';
}

function find(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  template: pkcs11js.Template,
  max = 100,
): Buffer[] {
  p11.C_FindObjectsInit(session, template);
  try {
    return p11.C_FindObjects(session, max);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

function attribute(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  object: Buffer,
  type: number,
): Buffer | undefined {
  try {
    const [value] = p11.C_GetAttributeValue(session, object, [{ type }]);
    return value?.value;
  } catch {
    return undefined;
  }
}

export function listCertificates(p11: pkcs11js.PKCS11, session: Buffer): RawCertificate[] {
  const idsOf = (cls: number) =>
    new Set(
      find(p11, session, [{ type: pkcs11js.CKA_CLASS, value: cls }], 1000).map((key) =>
        hex(attribute(p11, session, key, pkcs11js.CKA_ID)),
      ),
    );
  const privateKeys = new Map<string, boolean>();
  for (const key of find(
    p11,
    session,
    [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }],
    1000,
  )) {
    const always = attribute(p11, session, key, pkcs11js.CKA_ALWAYS_AUTHENTICATE);
    privateKeys.set(hex(attribute(p11, session, key, pkcs11js.CKA_ID)), always?.[0] === 1);
  }
  // Private keys are usually hidden until login; a public key with the same CKA_ID
  // means the pair was made on this token.
  const publicKeyIds = idsOf(pkcs11js.CKO_PUBLIC_KEY);
  const certificates = find(
    p11,
    session,
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    ],
    1000,
  );
  return certificates.flatMap((object): RawCertificate[] => {
    const der = attribute(p11, session, object, pkcs11js.CKA_VALUE);
    if (!der || der.length === 0) return [];
    const keyId = hex(attribute(p11, session, object, pkcs11js.CKA_ID));
    return [
      {
        der,
        keyId,
        label: attribute(p11, session, object, pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
        hasPrivateKey: privateKeys.has(keyId) || publicKeyIds.has(keyId),
        alwaysAuthenticate: privateKeys.get(keyId) ?? false,
      },
    ];
  });
}

/** The private key with this CKA_ID; KEY_NOT_FOUND when the (logged-in) token has none. */
export function findPrivateKey(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  slotId: string,
  keyId: string,
): PrivateKey {
  const [key] = find(
    p11,
    session,
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, 'hex') },
    ],
    1,
  );
  if (!key) throw new KysoError('KEY_NOT_FOUND', { slotId, keyId });
  return {
    key,
    alwaysAuthenticate: attribute(p11, session, key, pkcs11js.CKA_ALWAYS_AUTHENTICATE)?.[0] === 1,
  };
}
