/**
 * Builds the TEST PKI inside an already initialised SoftHSM2 token directory:
 * a test root CA and issuing CA (software keys, test only) and, on each token, a key pair
 * generated on the token plus its certificate. Writes pki.json describing everything.
 * Run by setup-test-pki.sh; not part of the agent.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { buildName, issueCertificate, KeyUsageFlags, spkiOf, toPem } from './certificates.ts';
import { generateKeyPairOnToken, storeCertificateObject } from './token-objects.ts';
import { testTokens } from './tokens.ts';

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

const issuingCaLabel = 'TEST CA phục vụ các cơ quan Nhà nước G2';

const tokens = testTokens.map((spec, index) => {
  const slot = findSlot(spec.label);
  const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  p11.C_Login(session, pkcs11js.CKU_USER, spec.pin);
  const keyId = createHash('sha1').update(`kyso-test-${spec.role}`).digest();
  const spki = generateKeyPairOnToken(p11, session, {
    algorithm: spec.keyAlgorithm,
    keyId,
    label: spec.keyLabel,
    ...(spec.alwaysAuthenticate ? { alwaysAuthenticate: true } : {}),
  });
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
  storeCertificateObject(p11, session, certificate, { keyId, label: spec.keyLabel });
  // Real tokens keep the issuing CA next to the user's certificate.
  storeCertificateObject(p11, session, issuingDer, { label: issuingCaLabel, authority: true });
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
