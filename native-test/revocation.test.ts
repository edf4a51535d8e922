/**
 * Certificate status before signing against loopback doubles: openssl's OCSP responder and
 * CRLs of a throwaway CA; down and slow responders; cache; URL rewrite; refuse vs warn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError, type KysoError } from '../agent/errors/index.ts';
import {
  checkCertificateStatus,
  checkPathStatus,
  parseOcspResponse,
  RevocationCache,
  verifyOcspResponse,
  type RevocationOptions,
} from '../agent/ltv/revocation/index.ts';
import { REVOKED_AT_ISO } from './pki-services/ca.ts';
import { startPkiServices, type PkiServices } from './pki-services/services.ts';

let pki: PkiServices;
beforeAll(async () => {
  pki = await startPkiServices({ slowDelayMs: 2_000 });
}, 60_000);
afterAll(async () => {
  await pki?.stop();
});

/** A fresh cache per check unless a test wants one shared. */
const opts = (extra: RevocationOptions = {}): RevocationOptions => ({
  cache: new RevocationCache(),
  timeoutMs: 5_000,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<KysoError> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('OCSP', () => {
  it('good: signer by the delegated responder, intermediate by the root CRL', async () => {
    const result = await checkPathStatus(pki.ca.path('good'), opts());
    expect(result.warnings).toEqual([]);
    const [leaf, int] = result.certificates;
    expect(leaf).toMatchObject({
      status: 'good',
      source: 'ocsp',
      url: `${pki.ocspUrl}/`,
      serial: '1001',
    });
    expect(leaf?.producedAt).toBeInstanceOf(Date);
    expect(leaf?.nextUpdate).toBeInstanceOf(Date);
    expect(leaf?.response?.[0]).toBe(0x30);
    // The intermediate has only a CRL distribution point.
    expect(int).toMatchObject({ status: 'good', source: 'crl', url: `${pki.crlBase}/root.crl` });
  });

  it('revoked: CERTIFICATE_REVOKED with the date and the reason', async () => {
    const error = await refusal(checkPathStatus(pki.ca.path('revoked'), opts()));
    expect(error.code).toBe('CERTIFICATE_REVOKED');
    expect(error.details).toMatchObject({
      revokedAt: REVOKED_AT_ISO,
      reason: 'keyCompromise',
      source: 'ocsp',
    });
    expect(error.userMessage.vi).toContain('thu hồi');
  });

  it('unknown: refused by default, a warning under warn', async () => {
    const error = await refusal(checkPathStatus(pki.ca.path('unknown'), opts()));
    expect(error.code).toBe('CERTIFICATE_STATUS_UNKNOWN');
    const warned = await checkPathStatus(pki.ca.path('unknown'), opts({ onUnknown: 'warn' }));
    expect(warned.warnings.map((w) => w.status)).toEqual(['unknown']);
  });

  it('responder down: unavailable, refused by default, a warning under warn', async () => {
    const down = { urlRewrites: { [pki.ocspUrl]: pki.downUrl } };
    const error = await refusal(checkPathStatus(pki.ca.path('good'), opts(down)));
    expect(error.code).toBe('CERTIFICATE_STATUS_UNAVAILABLE');
    expect(String(error.details.problems)).toContain(pki.downUrl);
    const warned = await checkPathStatus(pki.ca.path('good'), opts({ ...down, onUnknown: 'warn' }));
    expect(warned.warnings[0]).toMatchObject({ status: 'unavailable', url: `${pki.downUrl}/` });
    expect(warned.certificates[1]?.status).toBe('good');
  });

  it('slow responder: the timeout bounds the wait', async () => {
    const started = Date.now();
    const status = await checkCertificateStatus(
      pki.ca.leaves.good,
      pki.ca.intermediate,
      opts({ timeoutMs: 300, urlRewrites: { [pki.ocspUrl]: pki.slowOcspUrl } }),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(status.status).toBe('unavailable');
    expect(status.problems[0]?.problem).toMatch(/within 300 ms/);
  });

  it('answers signed by the issuer itself are accepted; by a certificate without OCSPSigning refused', async () => {
    pki.ocsp.mode = 'issuer-signed';
    try {
      const byIssuer = await checkCertificateStatus(
        pki.ca.leaves.good,
        pki.ca.intermediate,
        opts(),
      );
      expect(byIssuer.status).toBe('good');
      pki.ocsp.mode = 'wrong-signer';
      const byOther = await checkCertificateStatus(pki.ca.leaves.good, pki.ca.intermediate, opts());
      expect(byOther.status).toBe('unavailable');
      expect(byOther.problems[0]?.problem).toMatch(/OCSPSigning/);
    } finally {
      pki.ocsp.mode = 'normal';
    }
  });

  it('an answer checked against a clock past nextUpdate is stale', async () => {
    const later = new Date(Date.now() + 3 * 86_400_000);
    const status = await checkCertificateStatus(
      pki.ca.leaves.good,
      pki.ca.intermediate,
      opts({ now: () => later }),
    );
    expect(status.status).toBe('unavailable');
    expect(status.problems.map((p) => p.problem).join()).toMatch(/stale/);
  });

  it('rewrites an internal responder name (http://ocsp.ca.ptc) to a reachable one', async () => {
    const status = await checkCertificateStatus(
      pki.ca.leaves.ptc,
      pki.ca.intermediate,
      opts({ urlRewrites: { 'http://ocsp.ca.ptc': pki.ocspUrl } }),
    );
    expect(status).toMatchObject({ status: 'good', source: 'ocsp', url: `${pki.ocspUrl}/` });
  });

  it('caches answers for their validity: the second check makes no HTTP request', async () => {
    const cache = new RevocationCache();
    const before = pki.ocsp.requests;
    const crlBefore = pki.crl.requests.get('root.crl') ?? 0;
    await checkPathStatus(pki.ca.path('good'), opts({ cache }));
    expect(pki.ocsp.requests).toBe(before + 1);
    await checkPathStatus(pki.ca.path('good'), opts({ cache }));
    expect(pki.ocsp.requests).toBe(before + 1);
    expect(pki.crl.requests.get('root.crl')).toBe(crlBefore + 1);
  });
});

describe('CRL', () => {
  it('a certificate with only a CRL distribution point: good', async () => {
    const result = await checkPathStatus(pki.ca.path('crlGood'), opts());
    expect(result.certificates[0]).toMatchObject({
      status: 'good',
      source: 'crl',
      url: `${pki.crlBase}/int.crl`,
    });
    expect(result.certificates[0]?.thisUpdate).toBeInstanceOf(Date);
  });

  it('revoked in the CRL: CERTIFICATE_REVOKED with date and reason', async () => {
    const error = await refusal(checkPathStatus(pki.ca.path('crlRevoked'), opts()));
    expect(error.code).toBe('CERTIFICATE_REVOKED');
    expect(error.details).toMatchObject({
      revokedAt: REVOKED_AT_ISO,
      reason: 'cessationOfOperation',
      source: 'crl',
    });
  });

  it('one CRL download serves every certificate of the CA', async () => {
    const cache = new RevocationCache();
    const before = pki.crl.requests.get('int.crl') ?? 0;
    await Promise.all([
      checkCertificateStatus(pki.ca.leaves.crlGood, pki.ca.intermediate, opts({ cache })),
      checkCertificateStatus(pki.ca.leaves.tsa, pki.ca.intermediate, opts({ cache })),
    ]);
    expect(pki.crl.requests.get('int.crl')).toBe(before + 1);
  });

  it('a CRL checked against the wrong issuer is refused', async () => {
    const status = await checkCertificateStatus(pki.ca.leaves.crlGood, pki.ca.root, opts());
    expect(status.status).toBe('unavailable');
    expect(status.problems[0]?.problem).toMatch(/another CA/);
  });
});

describe('OCSP response checks', () => {
  /** A genuine response for `good`, with the nonce sent. */
  async function recorded(): Promise<Buffer> {
    const s = await checkCertificateStatus(pki.ca.leaves.good, pki.ca.intermediate, opts());
    if (!s.response) throw new Error('no response');
    return s.response;
  }
  const about = (leaf: 'good' | 'revoked', nonce?: Buffer) => ({
    certificate: pki.ca.leaves[leaf],
    issuer: pki.ca.intermediate,
    nonce,
  });

  it('refuses an echoed nonce that differs from ours', async () => {
    const parsed = parseOcspResponse(await recorded());
    expect(parsed.basic?.nonce).toBeDefined();
    const other = Buffer.from('0410' + '00'.repeat(16), 'hex');
    expect(() => verifyOcspResponse(parsed, about('good', other))).toThrow(/nonce/);
    expect(verifyOcspResponse(parsed, about('good', parsed.basic?.nonce)).status).toBe('good');
  });

  it('refuses an answer about another certificate', async () => {
    const parsed = parseOcspResponse(await recorded());
    expect(() => verifyOcspResponse(parsed, about('revoked'))).toThrow(/another certificate/);
  });

  it('refuses a response whose signed data was altered', async () => {
    const der = Buffer.from(await recorded());
    const parsed = parseOcspResponse(der);
    const at = der.indexOf(parsed.basic?.tbsResponseData.subarray(-8) ?? Buffer.alloc(8));
    der[at] = (der[at] ?? 0) ^ 0x01;
    expect(() => verifyOcspResponse(parseOcspResponse(der), about('good'))).toThrow(
      /signature|unreadable/,
    );
  });
});

describe('cache lifetime', () => {
  it('keeps an answer no longer than maxTtlMs', async () => {
    let now = Date.now();
    const cache = new RevocationCache({ now: () => new Date(now), maxTtlMs: 60_000 });
    const before = pki.ocsp.requests;
    await checkCertificateStatus(pki.ca.leaves.good, pki.ca.intermediate, opts({ cache }));
    await checkCertificateStatus(pki.ca.leaves.good, pki.ca.intermediate, opts({ cache }));
    expect(pki.ocsp.requests).toBe(before + 1);
    now += 61_000;
    await checkCertificateStatus(pki.ca.leaves.good, pki.ca.intermediate, opts({ cache }));
    expect(pki.ocsp.requests).toBe(before + 2);
  });
});
