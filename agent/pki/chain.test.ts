import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildName, issueCertificate, KeyUsageFlags, spkiOf } from '../../softhsm/certificates.ts';
import { buildChain, loadCertificates, mergeCertificates, signingChain } from './chain.ts';

const DAY = 86_400_000;
const now = Date.now();

interface Ca {
  name: ReturnType<typeof buildName>;
  key: KeyObject;
  spki: Buffer;
  der: Buffer;
}

function keys(): { key: KeyObject; spki: Buffer } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: pair.privateKey, spki: spkiOf(pair.publicKey) };
}

function issue(
  subject: { name: ReturnType<typeof buildName>; spki: Buffer },
  issuer: { name: ReturnType<typeof buildName>; key: KeyObject; spki: Buffer },
  isCA: boolean,
): Buffer {
  return issueCertificate({
    subject: subject.name,
    subjectPublicKeyDer: subject.spki,
    issuer: issuer.name,
    issuerKey: issuer.key,
    issuerPublicKeyDer: issuer.spki,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    isCA,
    keyUsage: isCA
      ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
      : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  });
}

function ca(cn: string, issuer?: Ca): Ca {
  const k = keys();
  const name = buildName([
    ['C', 'VN'],
    ['CN', cn],
  ]);
  const self = { name, ...k };
  return { name, ...k, der: issue(self, issuer ?? self, true) };
}

function leafOf(issuer: Ca, cn = 'Nguyễn Văn Ánh'): Buffer {
  return issue(
    {
      name: buildName([
        ['C', 'VN'],
        ['CN', cn],
      ]),
      spki: keys().spki,
    },
    issuer,
    false,
  );
}

const subjects = (chain: Buffer[]): string[] =>
  chain.map((c) => new X509Certificate(c).subject.split('\n').pop() ?? '');

describe('signingChain', () => {
  const root = ca('Root CA');
  const policy = ca('Policy CA', root);
  const issuing = ca('Issuing CA', policy);
  const leaf = leafOf(issuing);

  it('follows issuer to subject through the candidates, in any order, without duplicates', () => {
    const pool = [root.der, issuing.der, policy.der, issuing.der, leaf];
    expect(subjects(signingChain(leaf, pool))).toEqual(['CN=Issuing CA', 'CN=Policy CA']);
    expect(subjects(signingChain(leaf, pool, [root.der]))).toEqual([
      'CN=Issuing CA',
      'CN=Policy CA',
    ]);
  });

  it('stops at a configured anchor and keeps it when it is not self-signed', () => {
    expect(subjects(signingChain(leaf, [issuing.der, root.der], [policy.der]))).toEqual([
      'CN=Issuing CA',
      'CN=Policy CA',
    ]);
    expect(subjects(signingChain(leaf, [policy.der, root.der], [issuing.der]))).toEqual([
      'CN=Issuing CA',
    ]);
  });

  it('returns what it found when the path is incomplete, nothing when no issuer is known', () => {
    expect(subjects(signingChain(leaf, [issuing.der]))).toEqual(['CN=Issuing CA']);
    expect(signingChain(leaf, [])).toEqual([]);
    expect(signingChain(leaf, [policy.der, root.der])).toEqual([]);
    expect(signingChain(root.der, [root.der])).toEqual([]);
  });

  it('ignores certificates that are not CAs, even with the right name and key', () => {
    const fake = issue(issuing, root, false);
    expect(signingChain(leaf, [fake])).toEqual([]);
  });

  it('picks the CA whose key signed (same name, rolled-over key: AKI/SKI and signature)', () => {
    const older = ca('Issuing CA', policy);
    expect(subjects(signingChain(leaf, [older.der, issuing.der, policy.der]))).toEqual([
      'CN=Issuing CA',
      'CN=Policy CA',
    ]);
    expect(signingChain(leaf, [older.der])).toEqual([]);
  });

  it('never loops on cross-certified CAs', () => {
    const a = ca('CA A');
    const b = ca('CA B');
    const aByB = issue(a, b, true);
    const bByA = issue(b, a, true);
    const user = leafOf(a);
    expect(subjects(signingChain(user, [aByB, bByA]))).toEqual(['CN=CA A', 'CN=CA B']);
    expect(buildChain(user, [aByB, bByA], [root.der], new Date()).reason).toBe('issuer-not-found');
  });

  it('skips unparsable candidates', () => {
    expect(signingChain(leaf, [Buffer.from('junk'), issuing.der]).length).toBe(1);
  });

  it('merges explicit and found certificates without duplicates', () => {
    expect(mergeCertificates([policy.der], [issuing.der, policy.der])).toEqual([
      policy.der,
      issuing.der,
    ]);
  });

  it('buildChain trusts a path through the intermediates to the root', () => {
    const result = buildChain(leaf, [issuing.der, policy.der], [root.der], new Date());
    expect(result.trusted).toBe(true);
    expect(result.path).toHaveLength(4);
    expect(buildChain(leaf, [issuing.der], [root.der], new Date()).reason).toBe('issuer-not-found');
  });

  it('loadCertificates reads PEM bundles and DER', () => {
    const pem = [issuing.der, root.der]
      .map(
        (d) => `-----BEGIN CERTIFICATE-----\n${d.toString('base64')}\n-----END CERTIFICATE-----\n`,
      )
      .join('');
    expect(loadCertificates(Buffer.from(pem))).toEqual([issuing.der, root.der]);
    expect(loadCertificates(root.der)).toEqual([root.der]);
  });
});
