/**
 * Issue 14 against the loopback PKI doubles (OCSP, CRL, RFC 3161 TSA of a throwaway CA):
 * the status check before signing (revoked, unknown under refuse/warn), PAdES B-T (token
 * checked by `openssl ts -verify`), B-LT (DSS), B-LTA (document timestamp), a DocMDP P=2
 * certification kept valid, pdfsig/qpdf as judges, TSA trouble (progress, TIMESTAMP_FAILED).
 * The signer is the real SigningPipeline over a token service whose keys are software keys
 * issued by the loopback CA (the token layer has its own SoftHSM2 tests).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureTimestampTokens, signatureValueOf } from '../agent/cms/index.ts';
import { isKysoError, type KysoError } from '../agent/errors/index.ts';
import type { Journal } from '../agent/journal/index.ts';
import {
  formatVerificationReport,
  readDss,
  verifyPdf,
  type PadesLevel,
} from '../agent/pdf/index.ts';
import { PdfReader } from '../agent/pdf/reader.ts';
import { openSource } from '../agent/pdf/source.ts';
import { SigningPipeline } from '../agent/signing/index.ts';
import { extractSignatures, pdfsig, qpdfCheck } from './pdf-judges.ts';
import { REVOKED_AT_ISO, type LeafName } from './pki-services/ca.ts';
import { startPkiServices, type PkiServices } from './pki-services/services.ts';
import { opensslTsVerifies } from './pki-services/ts-judge.ts';
import {
  certificateInfo as infoOf,
  harness as harnessOf,
  softTokens as tokensOf,
  type Harness,
} from './pki-services/soft-pipeline.ts';

const certificateInfo = (leaf: LeafName) => infoOf(pki, leaf);
const harness = (options: Parameters<typeof harnessOf>[1] = {}) => harnessOf(pki, options);
const softTokens = () => tokensOf(pki);

const INPUT = readFileSync(
  join(
    import.meta.dirname,
    'fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
  ),
);

let pki: PkiServices;
let dir: string;
beforeAll(async () => {
  pki = await startPkiServices();
  dir = mkdtempSync(join(tmpdir(), 'kyso-pades-ltv-'));
}, 60_000);
afterAll(async () => {
  await pki?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const caller = () => ({
  origin: 'cli:tester',
  requestId: `cli:${randomBytes(4).toString('hex')}`,
  signal: new AbortController().signal,
});

let outputs = 0;
const outputPath = (): string => join(dir, `out-${++outputs}.pdf`);

async function sign(
  h: Harness,
  leaf: LeafName,
  level: PadesLevel,
  input: Buffer = INPUT,
  extra: { certify?: 2 } = {},
): Promise<{ output: string; level: string | undefined }> {
  const output = outputPath();
  const { result } = await h.pipeline.pdf.signOne(caller(), {
    method: 'sign.pdf',
    certificateId: certificateInfo(leaf).id,
    scheme: undefined,
    hash: 'SHA-256',
    item: {
      name: `${leaf}.pdf`,
      input,
      output,
      options: { preset: 'plain', appearance: {}, level, ...extra },
    },
  });
  return { output: result.output ?? output, level: result.level };
}

async function failure(promise: Promise<unknown>): Promise<KysoError> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const verify = (file: string) =>
  verifyPdf(file, { trustAnchors: [pki.ca.root], intermediates: [pki.ca.intermediate] });

describe('status before signing', () => {
  it('revoked (OCSP): CERTIFICATE_REVOKED with date and reason, no dialog, no PIN, nothing written, journaled', async () => {
    const h = harness();
    const output = outputPath();
    const error = await failure(
      h.pipeline.pdf.signOne(caller(), {
        method: 'sign.pdf',
        certificateId: certificateInfo('revoked').id,
        scheme: undefined,
        hash: 'SHA-256',
        item: { name: 'r.pdf', input: INPUT, output, options: { preset: 'plain', appearance: {} } },
      }),
    );
    expect(error.code).toBe('CERTIFICATE_REVOKED');
    expect(error.details).toMatchObject({ revokedAt: REVOKED_AT_ISO, reason: 'keyCompromise' });
    expect(h.consent).toEqual({ approvals: 0, pins: 0 });
    expect(existsSync(output)).toBe(false);
    expect(h.records).toMatchObject([
      {
        result: 'failed',
        errorCode: 'CERTIFICATE_REVOKED',
        status: { checked: 'ocsp', status: 'revoked', revokedAt: REVOKED_AT_ISO },
      },
    ]);
  });

  it('revoked (CRL) also refuses, for digests too (every door goes through the service)', async () => {
    const h = harness();
    const error = await failure(
      h.pipeline.signDigests(caller(), {
        method: 'sign.hash',
        certificateId: certificateInfo('crlRevoked').id,
        scheme: undefined,
        documents: [{ name: 'h', hashAlgorithm: 'SHA-256', digest: Buffer.alloc(32, 1) }],
      }),
    );
    expect(error.code).toBe('CERTIFICATE_REVOKED');
    expect(error.details).toMatchObject({ reason: 'cessationOfOperation' });
    expect(h.consent.pins).toBe(0);
    expect(h.records[0]?.status).toMatchObject({ checked: 'crl', status: 'revoked' });
  });

  it('unknown: refused under policy refuse, signed with a journaled warning under warn', async () => {
    const refuse = harness();
    const error = await failure(sign(refuse, 'unknown', 'B-B'));
    expect(error.code).toBe('CERTIFICATE_STATUS_UNKNOWN');
    expect(refuse.consent.pins).toBe(0);
    expect(refuse.records[0]).toMatchObject({ errorCode: 'CERTIFICATE_STATUS_UNKNOWN' });

    const warn = harness({ revocation: { policy: 'warn' } });
    const done = await sign(warn, 'unknown', 'B-B');
    expect(done.level).toBe('B-B');
    expect(warn.records[0]).toMatchObject({
      result: 'signed',
      status: { status: 'unknown', checked: 'ocsp+crl' },
    });
    expect(warn.records[0]?.status?.warnings.join(' ')).toMatch(/unknown/);
  });

  it('good: journaled as checked, PIN asked once', async () => {
    const h = harness();
    await sign(h, 'good', 'B-B');
    expect(h.consent).toEqual({ approvals: 1, pins: 1 });
    expect(h.records[0]?.status).toEqual({ checked: 'ocsp+crl', status: 'good', warnings: [] });
  });

  it('a certificate outside the configured anchors: CERTIFICATE_UNTRUSTED before the PIN', async () => {
    // Same hierarchy, but only an unrelated certificate trusted.
    const other = new SigningPipeline({
      tokens: softTokens(),
      consent: {
        approveOrigin: () => Promise.resolve(true),
        approveSigning: () => Promise.resolve(true),
        askPin: () => Promise.reject(new Error('PIN asked')),
      },
      journal: { append: () => Promise.resolve() } as unknown as Journal,
      pinCache: { enabled: false, ttlSeconds: 60 },
      trust: { anchors: [pki.ca.file('tsa.pem')], intermediates: [] },
    });
    const error = await failure(
      other.signDigests(caller(), {
        method: 'sign.hash',
        certificateId: certificateInfo('good').id,
        scheme: undefined,
        documents: [{ name: 'h', hashAlgorithm: 'SHA-256', digest: Buffer.alloc(32, 1) }],
      }),
    );
    expect(error.code).toBe('CERTIFICATE_UNTRUSTED');
  });
});

async function judgesAccept(file: string): Promise<void> {
  const sigs = await pdfsig(file);
  expect(sigs.length).toBeGreaterThan(0);
  for (const s of sigs) expect(s.validation).toBe('Signature is Valid.');
  expect((await qpdfCheck(file)).ok).toBe(true);
}

describe('PAdES levels', () => {
  it('B-T: signature timestamp verified by openssl ts -verify and by our verifier', async () => {
    const h = harness();
    const { output, level } = await sign(h, 'good', 'B-T');
    expect(level).toBe('B-T');
    const [extracted] = extractSignatures(output);
    const cms = extracted?.cms ?? Buffer.alloc(0);
    const [token] = signatureTimestampTokens(cms);
    expect(token).toBeDefined();
    const imprint = createHash('sha256').update(signatureValueOf(cms)).digest();
    expect(opensslTsVerifies(pki.ca, token as Buffer, imprint)).toBe(true);
    const result = await verify(output);
    expect(result.valid).toBe(true);
    expect(result.signatures[0]?.ltv).toMatchObject({
      kind: 'signature',
      level: 'B-T',
      timestamp: { valid: true },
    });
    await judgesAccept(output);
    expect(h.progress.some((p) => p.progress.state === 'sending')).toBe(true);
  });

  it('B-LT: DSS with both paths, OCSP and CRLs; verified from the DSS', async () => {
    const h = harness();
    const { output, level } = await sign(h, 'good', 'B-LT');
    expect(level).toBe('B-LT');
    const source = await openSource(output);
    const dss = await readDss(await PdfReader.open(source));
    await source.close();
    expect(dss.present).toBe(true);
    for (const c of [pki.ca.leaves.good, pki.ca.intermediate, pki.ca.root, pki.ca.leaves.tsa]) {
      expect(dss.certificates.some((d) => d.equals(c))).toBe(true);
    }
    expect(dss.ocsps.length).toBeGreaterThanOrEqual(1);
    expect(dss.crls.length).toBeGreaterThanOrEqual(2); // root.crl (intermediate), int.crl (TSA)
    const result = await verify(output);
    expect(result.valid).toBe(true);
    expect(result.signatures[0]?.ltv).toMatchObject({
      level: 'B-LT',
      revocation: { status: 'good', source: 'dss', kind: 'ocsp' },
      validAtSigningTime: true,
      validNow: true,
    });
    expect(result.signatures[0]?.changes).toBe('signatures-only');
    await judgesAccept(output);
  });

  it('B-LTA: document timestamp after the DSS; both revisions valid', async () => {
    const h = harness();
    const { output, level } = await sign(h, 'crlGood', 'B-LTA');
    expect(level).toBe('B-LTA');
    const result = await verify(output);
    expect(result.signatures.map((s) => [s.ltv?.kind, s.ltv?.level, s.valid])).toEqual([
      ['signature', 'B-LTA', true],
      ['document-timestamp', 'B-LTA', true],
    ]);
    expect(result.valid).toBe(true);
    expect(result.signatures[0]?.ltv?.revocation).toMatchObject({ source: 'dss', kind: 'crl' });
    const sigs = await pdfsig(output);
    expect(sigs).toHaveLength(2);
    expect(sigs[0]?.validation).toBe('Signature is Valid.');
    expect((await qpdfCheck(output)).ok).toBe(true);
    const vi = formatVerificationReport(result, 'vi');
    const en = formatVerificationReport(result, 'en');
    expect(vi).toMatch(/Người ký: Kyso TEST crlGood/);
    expect(vi).toMatch(/Mức PAdES: B-LTA/);
    expect(vi).toMatch(/HỢP LỆ/);
    expect(en).toMatch(/Signer: Kyso TEST crlGood/);
    expect(en).toMatch(/timestamped by .*Kyso TEST tsa/);
    expect(en).toMatch(/Document timestamp #2/);
  });

  it('the built CLI (kyso verify --json) reports the same B-LTA facts: its LTV code loads on demand', async () => {
    const { output } = await sign(harness(), 'crlGood', 'B-LTA');
    // The agency's trust from the config file: the root, and the intermediate as a path helper.
    writeFileSync(join(dir, 'root.der'), pki.ca.root);
    writeFileSync(join(dir, 'intermediate.der'), pki.ca.intermediate);
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ trust: { anchors: ['root.der'], intermediates: ['intermediate.der'] } }),
    );
    const cli = spawnSync(
      process.execPath,
      ['bin/kyso.js', 'verify', output, '--config', config, '--json'],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as Awaited<ReturnType<typeof verifyPdf>>;
    const inProcess = await verify(output);
    const facts = (r: typeof inProcess) =>
      r.signatures.map((s) => [
        s.ltv?.kind,
        s.ltv?.level,
        s.ltv?.revocation,
        s.ltv?.timestamp,
        s.valid,
      ]);
    expect(facts(printed)).toEqual(facts(inProcess));
    expect(printed.signatures.map((s) => s.ltv?.level)).toEqual(['B-LTA', 'B-LTA']);
    // A valid document timestamp is reported valid in `status` too (exit code 0, "HỢP LỆ").
    expect(printed.signatures.map((s) => s.status)).toEqual(['valid', 'valid']);
    expect(printed.status).toBe('valid');
  });

  it('a DocMDP P=2 certification stays valid after a B-LT and a B-LTA signature', async () => {
    const h = harness();
    const certified = await sign(h, 'good', 'B-B', INPUT, { certify: 2 });
    const lt = await sign(h, 'crlGood', 'B-LT', readFileSync(certified.output));
    const lta = await sign(h, 'good', 'B-LTA', readFileSync(lt.output));
    const result = await verify(lta.output);
    expect(result.signatures[0]).toMatchObject({ certification: 2, valid: true });
    expect(result.signatures.every((s) => s.valid)).toBe(true);
    expect(result.signatures.map((s) => s.changes)).toEqual([
      'signatures-only',
      'signatures-only',
      'signatures-only',
      'none',
    ]);
    expect(result.valid).toBe(true);
    const sigs = await pdfsig(lta.output);
    expect(sigs.length).toBe(4);
    for (const s of sigs.slice(0, 3)) expect(s.validation).toBe('Signature is Valid.');
    expect((await qpdfCheck(lta.output)).ok).toBe(true);
  });
});

describe('TSA trouble', () => {
  it('a TSA that fails once: progress events (sending, waiting, sending), then success', async () => {
    const h = harness();
    pki.tsa.failuresLeft = 1;
    const { level } = await sign(h, 'good', 'B-T');
    expect(level).toBe('B-T');
    const states = h.progress.map((p) => p.progress.state);
    expect(states).toEqual(expect.arrayContaining(['sending', 'waiting']));
    expect(states.filter((s) => s === 'sending').length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('TSA down: TIMESTAMP_FAILED, nothing written; B-LTA likewise', async () => {
    for (const level of ['B-T', 'B-LTA'] as const) {
      const h = harness({ timestamp: { urls: [pki.downUrl], tries: 1 } });
      const output = outputPath();
      const error = await failure(
        h.pipeline.pdf.signOne(caller(), {
          method: 'sign.pdf',
          certificateId: certificateInfo('good').id,
          scheme: undefined,
          hash: 'SHA-256',
          item: {
            name: 'd.pdf',
            input: INPUT,
            output,
            options: { preset: 'plain', appearance: {}, level },
          },
        }),
      );
      expect(error.code).toBe('TIMESTAMP_FAILED');
      expect(existsSync(output)).toBe(false);
    }
  });

  it('no TSA configured: B-T fails with TIMESTAMP_FAILED before any PIN (no silent B-B)', async () => {
    const h = harness({ timestamp: { urls: [] } });
    const error = await failure(sign(h, 'good', 'B-T'));
    expect(error.code).toBe('TIMESTAMP_FAILED');
    expect(h.consent.pins).toBe(0);
  });

  it('a batch: one TSA request per document, sent in parallel within the cap', async () => {
    const h = harness({ timestamp: { maxConcurrent: 2 } });
    pki.tsa.delayMs = 300;
    pki.tsa.maxInFlight = 0;
    const before = pki.tsa.requests;
    try {
      const outcome = await h.pipeline.pdf.signMany(caller(), {
        method: 'sign.pdfs',
        certificateId: certificateInfo('good').id,
        scheme: undefined,
        hash: 'SHA-256',
        items: [1, 2, 3, 4].map((n) => ({
          name: `b${n}.pdf`,
          input: INPUT,
          // Distinct documents: identical ones would share one signature and one token.
          options: {
            preset: 'plain' as const,
            appearance: {},
            reason: `batch ${n}`,
            level: 'B-T' as const,
          },
        })),
      });
      expect(outcome.items.map((i) => i.ok && i.result.level)).toEqual([
        'B-T',
        'B-T',
        'B-T',
        'B-T',
      ]);
      expect(pki.tsa.requests - before).toBe(4);
      expect(pki.tsa.maxInFlight).toBe(2);
    } finally {
      pki.tsa.delayMs = 0;
    }
  }, 20_000);
});
