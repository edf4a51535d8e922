/**
 * Test-only helpers that put keys and certificates on a PKCS#11 token the way issuers do:
 * key pairs generated on the token (the private key never exists outside it) and X.509
 * certificate objects linked to them by CKA_ID. Used by the SoftHSM2 test PKI and by the
 * opencryptoki lock-out test.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import pkcs11js from 'pkcs11js';

export interface OnTokenKeySpec {
  algorithm: 'RSA' | 'EC';
  keyId: Buffer;
  label: string;
  /** CKA_ALWAYS_AUTHENTICATE: the key wants the PIN for every signature (SIM PKI cards). */
  alwaysAuthenticate?: boolean;
}

/** Generates RSA-2048 or P-256 on the token; returns the public key as SPKI DER. */
export function generateKeyPairOnToken(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  spec: OnTokenKeySpec,
): Buffer {
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: spec.keyId },
    { type: pkcs11js.CKA_LABEL, value: spec.label },
  ];
  const privateTemplate = [
    ...common,
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
    ...(spec.alwaysAuthenticate ? [{ type: pkcs11js.CKA_ALWAYS_AUTHENTICATE, value: true }] : []),
  ];
  if (spec.algorithm === 'RSA') {
    const keys = p11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      privateTemplate,
    );
    const [modulus, exponent] = p11.C_GetAttributeValue(session, keys.publicKey, [
      { type: pkcs11js.CKA_MODULUS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT },
    ]);
    return createPublicKey({
      key: {
        kty: 'RSA',
        n: Buffer.from(modulus?.value as Buffer).toString('base64url'),
        e: Buffer.from(exponent?.value as Buffer).toString('base64url'),
      },
      format: 'jwk',
    }).export({ type: 'spki', format: 'der' });
  }
  // prime256v1 OID, DER-encoded, as CKA_EC_PARAMS expects.
  const p256 = Buffer.from('06082a8648ce3d030107', 'hex');
  const keys = p11.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
    [
      ...common,
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_EC_PARAMS, value: p256 },
    ],
    privateTemplate,
  );
  const [point] = p11.C_GetAttributeValue(session, keys.publicKey, [
    { type: pkcs11js.CKA_EC_POINT },
  ]);
  const wrapped = point?.value as Buffer;
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04||x||y.
  const raw = wrapped[0] === 0x04 && wrapped.length === 67 ? wrapped.subarray(2) : wrapped;
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
}

/** CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER, which SoftHSM2 requires on a certificate. */
function certificateIndexAttributes(der: Buffer): pkcs11js.Template {
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
  const serial = Buffer.from(tbs.serialNumber);
  return [
    { type: pkcs11js.CKA_SUBJECT, value: Buffer.from(AsnConvert.serialize(tbs.subject)) },
    { type: pkcs11js.CKA_ISSUER, value: Buffer.from(AsnConvert.serialize(tbs.issuer)) },
    {
      type: pkcs11js.CKA_SERIAL_NUMBER,
      value: Buffer.concat([Buffer.from([0x02, serial.length]), serial]),
    },
  ];
}

export interface CertificateObjectSpec {
  label: string;
  /** The CKA_ID of the user's key pair; for a CA certificate, omit: its key identifier is used. */
  keyId?: Buffer;
  /** Stored as an authority certificate (CKA_CERTIFICATE_CATEGORY 2), as tokens keep CA certs. */
  authority?: boolean;
  /** CKA_PRIVATE: hidden until login, as some vendor tools store certificates. */
  private?: boolean;
}

export function storeCertificateObject(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  der: Buffer,
  spec: CertificateObjectSpec,
): void {
  const spki = AsnConvert.parse(der, Certificate).tbsCertificate.subjectPublicKeyInfo;
  const template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: spec.private ?? false },
    {
      type: pkcs11js.CKA_ID,
      value: spec.keyId ?? createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest(),
    },
    { type: pkcs11js.CKA_LABEL, value: spec.label },
    { type: pkcs11js.CKA_VALUE, value: der },
    ...certificateIndexAttributes(der),
  ];
  if (!spec.authority) {
    p11.C_CreateObject(session, template);
    return;
  }
  try {
    p11.C_CreateObject(session, [
      ...template,
      { type: pkcs11js.CKA_CERTIFICATE_CATEGORY, value: 2 },
    ]);
  } catch {
    p11.C_CreateObject(session, template); // a module that refuses the category
  }
}
