/**
 * The small C PKCS#11 modules of the tests (fixtures/*-pkcs11.c, sharing
 * fixtures/pkcs11-fixture.h), built with cc one way; and the PIN-pad module's two tokens
 * (slot 1: PIN pad, slot 2: no login), whose certificate and key files it reads from
 * KYSO_PINPAD_DIR. Used by the crash, attack, field-layout and PIN-pad doctor tests.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildName, issueCertificate, spkiOf } from '../softhsm/certificates.ts';

/** Each fixture module and the libraries it links (the PIN-pad module signs with OpenSSL). */
const LIBRARIES = { crashing: [], pinpad: ['-lcrypto'] } satisfies Record<string, string[]>;
export type FixtureModule = keyof typeof LIBRARIES;

/** Compiles fixtures/<name>-pkcs11.c into dir; returns the shared library's path. */
export function buildFixtureModule(name: FixtureModule, dir: string): string {
  const modulePath = join(dir, `${name}-pkcs11.so`);
  const source = resolve(`native-test/fixtures/${name}-pkcs11.c`);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', modulePath, source, ...LIBRARIES[name]]);
  return modulePath;
}

/** What one PIN-pad slot's self-signed certificate says. */
export interface PinpadCertificate {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  keyUsage: number;
}

export interface PinpadModule {
  modulePath: string;
  /** PEM of each slot's certificate. */
  pems: Record<1 | 2, string>;
}

/** Builds the PIN-pad module into dir and writes its two tokens' certificates and keys there. */
export function buildPinpadModule(
  dir: string,
  certificates: Record<1 | 2, PinpadCertificate>,
): PinpadModule {
  const modulePath = buildFixtureModule('pinpad', dir);
  const pems: Record<1 | 2, string> = { 1: '', 2: '' };
  for (const slot of [1, 2] as const) {
    const wanted = certificates[slot];
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const name = buildName([
      ['C', 'VN'],
      ['CN', wanted.commonName],
    ]);
    const der = issueCertificate({
      subject: name,
      subjectPublicKeyDer: spkiOf(keys.publicKey),
      issuer: name,
      issuerKey: keys.privateKey,
      issuerPublicKeyDer: spkiOf(keys.publicKey),
      notBefore: wanted.notBefore,
      notAfter: wanted.notAfter,
      isCA: false,
      keyUsage: wanted.keyUsage,
    });
    writeFileSync(join(dir, `slot${slot}.der`), der);
    writeFileSync(
      join(dir, `slot${slot}.key.pem`),
      keys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    pems[slot] = new X509Certificate(der).toString();
  }
  return { modulePath, pems };
}
