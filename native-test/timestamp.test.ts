/**
 * RFC 3161 client against a loopback `openssl ts -reply` TSA: tokens verified by us and by
 * `openssl ts -verify`; retries on 5xx; timeout; the 4-at-once cap; the CMS unsigned attribute.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSignatureTimestamp,
  signatureValueOf,
  timestampSignedData,
} from '../agent/cms/timestamp-attribute.ts';
import { isKysoError, type KysoError } from '../agent/errors/index.ts';
import {
  createTimestampClient,
  parseTstInfo,
  verifyTimestampToken,
  type TimestampClientOptions,
  type TimestampProgress,
} from '../agent/ltv/timestamp/index.ts';
import { startPkiServices, type PkiServices } from './pki-services/services.ts';
import { opensslTsVerifies } from './pki-services/ts-judge.ts';

let pki: PkiServices;
beforeAll(async () => {
  pki = await startPkiServices();
}, 60_000);
afterAll(async () => {
  await pki?.stop();
});

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** Each test its own URL spelling, so the per-TSA semaphores do not mix. */
let urlCount = 0;
const client = (extra: Partial<TimestampClientOptions> = {}) =>
  createTimestampClient({
    url: `${pki.tsaUrl}/t${++urlCount}`,
    trustAnchors: [pki.ca.root],
    timeoutMs: 10_000,
    backoffMs: 20,
    ...extra,
  });

async function failure(promise: Promise<unknown>): Promise<KysoError> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('RFC 3161 client', () => {
  it('obtains a token that we and openssl ts -verify accept', async () => {
    const digest = sha256(Buffer.from('Quyết định số 12/QĐ-UBND'));
    const before = Date.now();
    const stamp = await client().timestamp(digest);
    expect(stamp.hashedMessage).toEqual(digest);
    expect(stamp.policy).toBe('1.2.3.4.1');
    expect(stamp.genTime.getTime()).toBeGreaterThan(before - 5_000);
    expect(stamp.tsaCertificate).toEqual(pki.ca.leaves.tsa);
    expect(opensslTsVerifies(pki.ca, stamp.token, digest)).toBe(true);
    // Our verifier holds the token to the imprint and the trust anchors.
    expect(() =>
      verifyTimestampToken(stamp.token, { digest, hash: 'SHA-256', trustAnchors: [pki.ca.root] }),
    ).not.toThrow();
    const other = sha256(Buffer.from('other'));
    expect(() => verifyTimestampToken(stamp.token, { digest: other, hash: 'SHA-256' })).toThrow(
      /TIMESTAMP_INVALID/,
    );
    expect(opensslTsVerifies(pki.ca, stamp.token, other)).toBe(false);
    expect(() =>
      verifyTimestampToken(stamp.token, {
        digest,
        hash: 'SHA-256',
        trustAnchors: [pki.ca.leaves.good],
      }),
    ).toThrow(/TIMESTAMP_INVALID/);
  });

  it('a flipped byte in the token is refused by both', async () => {
    const digest = sha256(Buffer.from('x'));
    const stamp = await client().timestamp(digest);
    const info = parseTstInfo(stamp.token);
    const bad = Buffer.from(stamp.token);
    // The nonce sits inside TSTInfo, which the TSA's signature covers.
    const at = bad.indexOf(info.nonce ?? Buffer.alloc(8));
    expect(at).toBeGreaterThan(0);
    bad[at] = (bad[at] ?? 0) ^ 0xff;
    expect(() => verifyTimestampToken(bad, { digest, hash: 'SHA-256' })).toThrow(
      /TIMESTAMP_INVALID/,
    );
    expect(opensslTsVerifies(pki.ca, bad, digest)).toBe(false);
  });

  it('retries 5xx answers with backoff, then succeeds', async () => {
    pki.tsa.failuresLeft = 2;
    const events: TimestampProgress[] = [];
    const before = pki.tsa.requests;
    const stamp = await client({ onProgress: (e) => events.push(e) }).timestamp(
      sha256(Buffer.from('retry')),
    );
    expect(stamp.token.length).toBeGreaterThan(500);
    expect(pki.tsa.requests - before).toBe(3);
    const waits = events.filter((e) => e.state === 'waiting');
    expect(waits.map((e) => [e.attempt, e.state === 'waiting' ? e.delayMs : 0])).toEqual([
      [1, 20],
      [2, 40],
    ]);
    expect(events.filter((e) => e.state === 'sending').map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('gives up after the tries with TIMESTAMP_FAILED', async () => {
    pki.tsa.mode = 'error';
    try {
      const error = await failure(client().timestamp(sha256(Buffer.from('down'))));
      expect(error.code).toBe('TIMESTAMP_FAILED');
      expect(error.details).toMatchObject({ tries: 3, reason: 'HTTP 503 from the TSA' });
      expect(error.userMessage.vi).toContain('dấu thời gian');
    } finally {
      pki.tsa.mode = 'ok';
    }
  });

  it('times out on a slow TSA', async () => {
    pki.tsa.mode = 'slow';
    try {
      const started = Date.now();
      const error = await failure(
        client({ timeoutMs: 300, tries: 1 }).timestamp(sha256(Buffer.from('slow'))),
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error.code).toBe('TIMESTAMP_FAILED');
      expect(String(error.details.reason)).toMatch(/within 300 ms/);
    } finally {
      pki.tsa.mode = 'ok';
    }
  });

  it('keeps at most 4 requests in flight per TSA', async () => {
    pki.tsa.delayMs = 150;
    pki.tsa.maxInFlight = 0;
    const url = `${pki.tsaUrl}/shared`;
    const events: TimestampProgress[] = [];
    // Two clients of the same TSA share the cap.
    const a = client({ url, onProgress: (e) => events.push(e) });
    const b = client({ url });
    try {
      const digests = Array.from({ length: 10 }, (_, i) => sha256(Buffer.from(`doc ${i}`)));
      const stamps = await Promise.all(digests.map((d, i) => (i % 2 ? a : b).timestamp(d)));
      expect(stamps.map((s) => s.hashedMessage)).toEqual(digests);
      expect(pki.tsa.maxInFlight).toBe(4);
      expect(events.some((e) => e.state === 'queued')).toBe(true);
    } finally {
      pki.tsa.delayMs = 0;
    }
  });
});

describe('signature-time-stamp attribute', () => {
  it('adds the token over the signature value; the CMS still verifies; openssl accepts the token', async () => {
    const dir = pki.ca.dir;
    const data = join(dir, 'doc.bin');
    const cms = join(dir, 'doc.p7s');
    writeFileSync(data, 'Nội dung văn bản');
    execFileSync(
      'openssl',
      [
        'cms',
        '-sign',
        '-binary',
        '-in',
        data,
        '-signer',
        'good.pem',
        '-inkey',
        'good.key',
        '-md',
        'sha256',
        '-outform',
        'DER',
        '-out',
        cms,
        '-nosmimecap',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    const signed = readFileSync(cms);
    const stamped = await timestampSignedData(signed, client());
    expect(signatureValueOf(stamped)).toEqual(signatureValueOf(signed));
    const stampedFile = join(dir, 'doc-t.p7s');
    writeFileSync(stampedFile, stamped);
    const printed = execFileSync('openssl', [
      'cms',
      '-cmsout',
      '-print',
      '-inform',
      'DER',
      '-in',
      stampedFile,
    ]).toString();
    expect(printed).toContain('id-smime-aa-timeStampToken');
    execFileSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        stampedFile,
        '-content',
        data,
        '-CAfile',
        pki.ca.file('chain.pem'),
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ],
      { stdio: 'pipe' },
    );
    // The token inside, judged by openssl against the signature value's digest.
    const { token } = await client().timestamp(sha256(signatureValueOf(signed)));
    const twice = addSignatureTimestamp(stamped, token);
    // A second stamp is a second attribute instance (ETSI EN 319 122-1 allows several).
    expect(twice.length).toBeGreaterThan(stamped.length + token.length);
    expect(opensslTsVerifies(pki.ca, token, sha256(signatureValueOf(twice)))).toBe(true);
  });
});
