/**
 * The deliberately crashing PKCS#11 module (fixtures/crashing-pkcs11.c), built into a fresh
 * directory (fixture-modules.ts), with the trigger file that switches its behaviour and the throwaway
 * self-signed certificate its one token holds. Shared by the crash and the attack tests.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtureModule } from './fixture-modules.ts';
import { buildName, issueCertificate, KeyUsageFlags, spkiOf } from '../softhsm/certificates.ts';

export type CrashMode = 'ok' | 'abort' | 'segv' | 'hang' | 'sign-abort' | 'sign-segv' | 'sign-hang';

export interface CrashingModule {
  dir: string;
  modulePath: string;
  trigger: string;
  /** SHA-256 thumbprint of the module token's certificate. */
  certificateId: string;
  /** What the module process needs in its environment (trigger and certificate files). */
  env: Record<string, string>;
  setMode(mode: CrashMode): void;
}

export function buildCrashingModule(prefix = 'kyso-crash-'): CrashingModule {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const modulePath = buildFixtureModule('crashing', dir);
  const trigger = join(dir, 'trigger');
  writeFileSync(trigger, 'ok');
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = buildName([
    ['C', 'VN'],
    ['CN', 'Chứng thư TEST trên module hỏng'],
  ]);
  const certificate = issueCertificate({
    subject: name,
    subjectPublicKeyDer: spkiOf(keys.publicKey),
    issuer: name,
    issuerKey: keys.privateKey,
    issuerPublicKeyDer: spkiOf(keys.publicKey),
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    isCA: false,
    keyUsage: KeyUsageFlags.digitalSignature,
  });
  const certFile = join(dir, 'crash-cert.der');
  writeFileSync(certFile, certificate);
  return {
    dir,
    modulePath,
    trigger,
    certificateId: createHash('sha256').update(certificate).digest('hex'),
    env: { KYSO_CRASH_TRIGGER: trigger, KYSO_CRASH_CERT: certFile },
    setMode: (mode) => writeFileSync(trigger, mode),
  };
}
