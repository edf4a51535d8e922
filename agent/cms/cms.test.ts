/** CMS SignedData: structure, sizes, and acceptance by openssl cms for each hash and RSA scheme. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOpensslPki } from '../../native-test/openssl-pki.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import { algorithmIdentifierDer } from './algorithms.ts';
import { buildChain, loadCertificates } from '../pki/index.ts';
import { encodeSigningCertificateV2 } from './ess.ts';
import {
  digestAlgorithmId,
  signatureAlgorithmId,
  signingCertificateV2BySchema,
} from './schema-reference.ts';
import {
  createSignedData,
  estimateSignedDataSize,
  parseSignedData,
  signingCertificateMatches,
  softwareSigner,
  verifyDigestSignature,
  verifySignatureValue,
  type Signer,
} from './index.ts';

let dir: string;
let root: Buffer;
const signerFor = (scheme?: SignatureScheme): Signer =>
  softwareSigner({
    privateKey: readFileSync(join(dir, 'leaf.key')),
    certificate: readFileSync(join(dir, 'leaf.der')),
    chain: [root],
    ...(scheme ? { scheme } : {}),
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kyso-cms-'));
  makeOpensslPki(dir, {
    rootSubject: '/CN=CMS Test Root',
    signerSubject: '/CN=Nguyễn Thị Thử/O=Sở Test',
    name: 'leaf',
  });
  root = loadCertificates(readFileSync(join(dir, 'root.pem')))[0] as Buffer;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: [SignatureScheme, HashAlgorithm][] = [
  ['RSASSA-PKCS1-v1_5', 'SHA-256'],
  ['RSASSA-PKCS1-v1_5', 'SHA-384'],
  ['RSASSA-PKCS1-v1_5', 'SHA-512'],
  ['RSA-PSS', 'SHA-256'],
  ['RSA-PSS', 'SHA-512'],
];

describe('SignedData', () => {
  for (const [scheme, hash] of cases) {
    it(`${scheme} ${hash}: openssl cms -verify accepts it; our parser agrees`, async () => {
      const content = Buffer.from('nội dung được ký');
      const digest = createHash(hash.replace('-', '').toLowerCase()).update(content).digest();
      const signer = signerFor(scheme);
      const der = await createSignedData(signer, digest, hash);
      expect(der.length).toBe(estimateSignedDataSize(signer, hash));
      writeFileSync(join(dir, 'sig.der'), der);
      writeFileSync(join(dir, 'content.bin'), content);
      execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          'sig.der',
          '-content',
          'content.bin',
          '-CAfile',
          'root.pem',
          '-purpose',
          'any',
          '-out',
          '/dev/null',
        ],
        { cwd: dir, stdio: 'pipe' },
      );
      const parsed = parseSignedData(der);
      expect(parsed).toMatchObject({ hash, scheme, hasSigningCertificateV2: true });
      expect(parsed.messageDigest?.equals(digest)).toBe(true);
      expect(parsed.certificates).toHaveLength(2);
      expect(verifySignatureValue(parsed)).toBe(true);
      expect(signingCertificateMatches(parsed)).toBe(true);
    });
  }

  it('carries no signingTime attribute (PAdES puts the time in /M)', async () => {
    const der = await createSignedData(signerFor(), Buffer.alloc(32), 'SHA-256');
    const text = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], {
      input: der,
    }).toString();
    expect(text).toContain('id-smime-aa-signingCertificateV2');
    expect(text).toContain('messageDigest');
    expect(text).not.toContain('signingTime');
  });

  it('a changed signature value no longer verifies; garbage is PDF_MALFORMED', async () => {
    const der = Buffer.from(await createSignedData(signerFor(), Buffer.alloc(32), 'SHA-256'));
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 1;
    expect(verifySignatureValue(parseSignedData(der))).toBe(false);
    expect(() => parseSignedData(Buffer.from('3003020101', 'hex'))).toThrow(/PDF_MALFORMED/);
  });
});

describe('CMS without signed attributes', () => {
  it('an RSA signature over the content digest itself verifies (openssl -noattr)', () => {
    const content = Buffer.from('ký không có thuộc tính');
    writeFileSync(join(dir, 'plain.bin'), content);
    const der = execFileSync(
      'openssl',
      [
        'cms',
        '-sign',
        '-binary',
        '-noattr',
        '-md',
        'sha256',
        '-in',
        'plain.bin',
        '-signer',
        'leaf.pem',
        '-inkey',
        'leaf.key',
        '-outform',
        'DER',
      ],
      { cwd: dir },
    );
    const parsed = parseSignedData(der);
    expect(parsed.signedAttributesDer).toBeUndefined();
    const digest = createHash('sha256').update(content).digest();
    expect(verifyDigestSignature(parsed, digest)).toBe(true);
    expect(verifyDigestSignature(parsed, createHash('sha256').update('x').digest())).toBe(false);
  });
});

describe('fast DER encoders match the schema definitions', () => {
  it('signing-certificate-v2 and every algorithm identifier', () => {
    const leaf = readFileSync(join(dir, 'leaf.der'));
    expect(encodeSigningCertificateV2(leaf).equals(signingCertificateV2BySchema(leaf))).toBe(true);
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      expect(
        algorithmIdentifierDer('digest', hash).equals(
          Buffer.from(AsnConvert.serialize(digestAlgorithmId(hash))),
        ),
      ).toBe(true);
      for (const scheme of ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA'] as const) {
        expect(
          algorithmIdentifierDer(scheme, hash).equals(
            Buffer.from(AsnConvert.serialize(signatureAlgorithmId(scheme, hash))),
          ),
          `${scheme} ${hash}`,
        ).toBe(true);
      }
    }
  });
});

describe('chain', () => {
  it('chains to the root at a time inside the validity; not before; not to another root', () => {
    const leaf = readFileSync(join(dir, 'leaf.der'));
    const ok = buildChain(leaf, [], [root], new Date());
    expect(ok).toMatchObject({ trusted: true, validAtTime: true });
    expect(ok.path).toHaveLength(2);
    expect(buildChain(leaf, [], [root], new Date(Date.now() + 40 * 86400_000)).validAtTime).toBe(
      false,
    );
    expect(buildChain(leaf, [], [leaf], new Date()).trusted).toBe(true);
    expect(buildChain(leaf, [], [], new Date()).reason).toBe('no-trust-anchors');
  });
});
