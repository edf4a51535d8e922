/**
 * Builds the field layouts of field-layouts.ts on initialised SoftHSM2 tokens: keys generated on
 * the token, then stored the way vendor tools and imports leave them (no public-key object,
 * a certificate CKA_ID that differs from the key's, certificates as private objects, several
 * user certificates with and without keys beside CA certificates). Writes DIR/field.json.
 * Usage: node --import tsx softhsm/make-field-layouts.ts DIR MODULE
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { KeyUsageFlags, buildName, issueCertificate, spkiOf, toPem } from './certificates.ts';
import { fieldTokens, type FieldLayouts, type KeySpec } from './field-layouts.ts';
import { storeCertificateObject } from './token-objects.ts';

const [dir, modulePath] = process.argv.slice(2);
if (!dir || !modulePath) throw new Error('usage: make-field-layouts.ts DIR MODULE');

const DAY = 86_400_000;
const now = Date.now();
const curves = {
  'P-256': { oid: '06082a8648ce3d030107', size: 32 },
  'P-384': { oid: '06052b81040022', size: 48 },
  'P-521': { oid: '06052b81040023', size: 66 },
} as const;

const caName = (cn: string) =>
  buildName([
    ['C', 'VN'],
    ['O', 'Kyso FIELD TEST'],
    ['CN', cn],
  ]);
const rootKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rootName = caName('FIELD TEST Root CA');
const rootSpki = spkiOf(rootKeys.publicKey);
const ca = (subject: ReturnType<typeof caName>, spki: Buffer) =>
  issueCertificate({
    subject,
    subjectPublicKeyDer: spki,
    issuer: rootName,
    issuerKey: rootKeys.privateKey,
    issuerPublicKeyDer: rootSpki,
    notBefore: new Date(now - 365 * DAY),
    notAfter: new Date(now + 3650 * DAY),
    isCA: true,
    keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
  });
const rootDer = ca(rootName, rootSpki);
const issuingDer = ca(
  caName('FIELD TEST Issuing CA'),
  spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey),
);

const value = (p11: pkcs11js.PKCS11, session: Buffer, object: Buffer, type: number) =>
  Buffer.from(p11.C_GetAttributeValue(session, object, [{ type }])[0]?.value as Buffer);

/** A key pair on the token; the public key object only when `keepPublic`. Returns the SPKI. */
function generateOnToken(
  p11: pkcs11js.PKCS11,
  session: Buffer,
  spec: KeySpec,
  keyId: Buffer,
  label: string,
  keepPublic: boolean,
): Buffer {
  const common = [
    { type: pkcs11js.CKA_ID, value: keyId },
    { type: pkcs11js.CKA_LABEL, value: label },
  ];
  const publicTemplate = [...common, { type: pkcs11js.CKA_TOKEN, value: keepPublic }];
  const privateTemplate = [
    ...common,
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
  if (spec.algorithm === 'RSA') {
    const { publicKey } = p11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...publicTemplate,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_MODULUS_BITS, value: spec.bits },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      privateTemplate,
    );
    const n = value(p11, session, publicKey, pkcs11js.CKA_MODULUS);
    const e = value(p11, session, publicKey, pkcs11js.CKA_PUBLIC_EXPONENT);
    return createPublicKey({
      key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
      format: 'jwk',
    }).export({ type: 'spki', format: 'der' });
  }
  const curve = curves[spec.curve];
  const { publicKey } = p11.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
    [
      ...publicTemplate,
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(curve.oid, 'hex') },
    ],
    privateTemplate,
  );
  const wrapped = value(p11, session, publicKey, pkcs11js.CKA_EC_POINT);
  const point = wrapped.subarray(wrapped.length - (2 * curve.size + 1));
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: spec.curve,
      x: point.subarray(1, 1 + curve.size).toString('base64url'),
      y: point.subarray(1 + curve.size).toString('base64url'),
    },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
}

function softwareSpki(spec: KeySpec): Buffer {
  const keys =
    spec.algorithm === 'RSA'
      ? generateKeyPairSync('rsa', { modulusLength: spec.bits })
      : generateKeyPairSync('ec', { namedCurve: spec.curve });
  return spkiOf(keys.publicKey);
}

const certificateId = (der: Buffer) => createHash('sha256').update(der).digest('hex');

const p11 = new pkcs11js.PKCS11();
p11.load(modulePath);
p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
const layouts: FieldLayouts = {
  modulePath,
  softhsm2Conf: join(dir, 'softhsm2.conf'),
  rootCaPem: toPem(rootDer),
  tokens: [],
};
try {
  const slots = p11.C_GetSlotList(true);
  for (const spec of fieldTokens) {
    const slot = slots.find((s) => p11.C_GetTokenInfo(s).label.trim() === spec.label);
    if (!slot) throw new Error(`token ${spec.label} not initialised`);
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p11.C_Login(session, pkcs11js.CKU_USER, spec.pin);
    const certificates: FieldLayouts['tokens'][number]['certificates'] = [];
    for (const [index, item] of spec.certificates.entries()) {
      const keyId = randomBytes(8);
      const keyLabel = item.sameLabel ? item.name : `key ${index + 1}`;
      const spki =
        item.keyObjects === 'none'
          ? softwareSpki(item.key)
          : generateOnToken(p11, session, item.key, keyId, keyLabel, item.keyObjects === 'pair');
      const der = issueCertificate({
        subject: buildName([
          ['C', 'VN'],
          ['O', 'Kyso FIELD TEST'],
          ['CN', item.name],
        ]),
        subjectPublicKeyDer: spki,
        issuer: rootName,
        issuerKey: rootKeys.privateKey,
        issuerPublicKeyDer: rootSpki,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 365 * DAY),
        isCA: false,
        keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
      });
      storeCertificateObject(p11, session, der, {
        label: item.name,
        keyId: item.idMismatch ? randomBytes(8) : keyId,
        ...(item.privateCertificate ? { private: true } : {}),
      });
      certificates.push({
        name: item.name,
        keyObjects: item.keyObjects,
        id: certificateId(der),
        pem: toPem(der),
      });
    }
    const caCertificateIds: string[] = [];
    if (spec.caCertificates) {
      storeCertificateObject(p11, session, rootDer, { label: 'FIELD TEST Root CA' });
      storeCertificateObject(p11, session, issuingDer, {
        label: 'FIELD TEST Issuing CA',
        authority: true,
      });
      caCertificateIds.push(certificateId(rootDer), certificateId(issuingDer));
    }
    p11.C_Logout(session);
    p11.C_CloseSession(session);
    layouts.tokens.push({
      role: spec.role,
      label: spec.label,
      pin: spec.pin,
      certificates,
      caCertificateIds,
    });
  }
} finally {
  p11.C_Finalize();
}
writeFileSync(join(dir, 'field.json'), JSON.stringify(layouts, null, 2));
