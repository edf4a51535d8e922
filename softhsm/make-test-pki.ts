/**
 * Builds the TEST PKI inside an already initialised SoftHSM2 token directory:
 * a test root CA and issuing CA (software keys, test only) and, on each token, a key pair
 * generated on the token plus its certificate. Writes pki.json describing everything.
 * Run by setup-test-pki.sh; not part of the agent.
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { buildName, issueCertificate, KeyUsageFlags, spkiOf, toPem } from './certificates.ts';
import { testTokens, type TestTokenSpec } from './tokens.ts';

const [dir, modulePath] = process.argv.slice(2);
if (!dir || !modulePath) throw new Error('usage: make-test-pki.ts DIR MODULE');

const DAY = 86_400_000;
const now = Date.now();
const caName = (cn: string) =>
  buildName([
    ['C', 'VN'],
    ['O', 'Ban Cơ yếu Chính phủ (TEST - không dùng thật)'],
    ['OU', 'Cục Chứng thực số và Bảo mật thông tin (TEST)'],
    ['CN', cn],
  ]);

const rootKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rootName = caName('TEST Root CA Chuyên dùng Chính phủ');
const rootSpki = spkiOf(rootKeys.publicKey);
const rootDer = issueCertificate({
  subject: rootName,
  subjectPublicKeyDer: rootSpki,
  issuer: rootName,
  issuerKey: rootKeys.privateKey,
  issuerPublicKeyDer: rootSpki,
  notBefore: new Date(now - 3650 * DAY),
  notAfter: new Date(now + 7300 * DAY),
  isCA: true,
  keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
});
const issuingKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issuingName = caName('TEST CA phục vụ các cơ quan Nhà nước G2');
const issuingSpki = spkiOf(issuingKeys.publicKey);
const issuingDer = issueCertificate({
  subject: issuingName,
  subjectPublicKeyDer: issuingSpki,
  issuer: rootName,
  issuerKey: rootKeys.privateKey,
  issuerPublicKeyDer: rootSpki,
  notBefore: new Date(now - 3000 * DAY),
  notAfter: new Date(now + 5000 * DAY),
  isCA: true,
  keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
});

const p11 = new pkcs11js.PKCS11();
p11.load(modulePath);
p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });

function findSlot(label: string): Buffer {
  for (const slot of p11.C_GetSlotList(true)) {
    if (p11.C_GetTokenInfo(slot).label.trim() === label) return slot;
  }
  throw new Error(`token ${label} not initialised`);
}

/** Generates the key pair on the token and returns the SPKI DER of its public key. */
function generateOnToken(session: Buffer, spec: TestTokenSpec, keyId: Buffer): Buffer {
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: keyId },
    { type: pkcs11js.CKA_LABEL, value: spec.keyLabel },
  ];
  const privateTemplate = [
    ...common,
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
    ...(spec.alwaysAuthenticate ? [{ type: pkcs11js.CKA_ALWAYS_AUTHENTICATE, value: true }] : []),
  ];
  if (spec.keyAlgorithm === 'RSA') {
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

/** CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER, which SoftHSM2 requires on a certificate object. */
function certificateIndexAttributes(der: Buffer) {
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

const issuingCaLabel = 'TEST CA phục vụ các cơ quan Nhà nước G2';

/**
 * The issuing CA certificate, stored as real tokens do: a certificate object with no private key,
 * CKA_ID = its key identifier (never a user key's id), category "authority" (2).
 */
function storeAuthorityCertificate(session: Buffer, der: Buffer, label: string): void {
  const spki = AsnConvert.parse(der, Certificate).tbsCertificate.subjectPublicKeyInfo;
  const template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    {
      type: pkcs11js.CKA_ID,
      value: createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest(),
    },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_VALUE, value: der },
    ...certificateIndexAttributes(der),
  ];
  try {
    p11.C_CreateObject(session, [
      ...template,
      { type: pkcs11js.CKA_CERTIFICATE_CATEGORY, value: 2 },
    ]);
  } catch {
    p11.C_CreateObject(session, template); // a module that refuses the category
  }
}

const tokens = testTokens.map((spec, index) => {
  const slot = findSlot(spec.label);
  const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  p11.C_Login(session, pkcs11js.CKU_USER, spec.pin);
  const keyId = createHash('sha1').update(`kyso-test-${spec.role}`).digest();
  const spki = generateOnToken(session, spec, keyId);
  const validFrom = spec.expired ? now - 800 * DAY : now - 30 * DAY;
  const validTo = spec.expired ? now - 35 * DAY : now + 1095 * DAY;
  const certificate = issueCertificate({
    subject: buildName(spec.subject),
    subjectPublicKeyDer: spki,
    issuer: issuingName,
    issuerKey: issuingKeys.privateKey,
    issuerPublicKeyDer: issuingSpki,
    notBefore: new Date(validFrom),
    notAfter: new Date(validTo),
    isCA: false,
    keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.2'],
  });
  p11.C_CreateObject(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_ID, value: keyId },
    { type: pkcs11js.CKA_LABEL, value: spec.keyLabel },
    { type: pkcs11js.CKA_VALUE, value: certificate },
    ...certificateIndexAttributes(certificate),
  ]);
  storeAuthorityCertificate(session, issuingDer, issuingCaLabel);
  p11.C_Logout(session);
  p11.C_CloseSession(session);
  return {
    role: spec.role,
    label: spec.label,
    pin: spec.pin,
    soPin: spec.soPin,
    keyAlgorithm: spec.keyAlgorithm,
    alwaysAuthenticate: spec.alwaysAuthenticate ?? false,
    expired: spec.expired ?? false,
    index,
    certificateId: createHash('sha256').update(certificate).digest('hex'),
    certificatePem: toPem(certificate),
  };
});
p11.C_Finalize();
p11.close();

writeFileSync(join(dir, 'root-ca.pem'), toPem(rootDer));
writeFileSync(join(dir, 'issuing-ca.pem'), toPem(issuingDer));
writeFileSync(join(dir, 'trust-chain.pem'), toPem(issuingDer) + toPem(rootDer));
writeFileSync(
  join(dir, 'root-ca.key.pem'),
  rootKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  { mode: 0o600 },
);
writeFileSync(
  join(dir, 'pki.json'),
  JSON.stringify(
    {
      version: 1,
      softhsm2Conf: join(dir, 'softhsm2.conf'),
      modulePath,
      rootCaPem: join(dir, 'root-ca.pem'),
      issuingCaPem: join(dir, 'issuing-ca.pem'),
      trustChainPem: join(dir, 'trust-chain.pem'),
      /** SHA-256 of the issuing CA certificate, stored on every token without a private key. */
      issuingCaCertificateId: createHash('sha256').update(issuingDer).digest('hex'),
      tokens,
    },
    null,
    2,
  ) + '\n',
);
