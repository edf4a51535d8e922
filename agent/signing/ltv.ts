/**
 * PAdES levels above B-B, per document (issue 14):
 * - B-T: the signature timestamp (RFC 3161 token over the signature value) as an unsigned
 *   attribute. The /Contents placeholder gets a fixed SIGNATURE_TIMESTAMP_RESERVE (16 KB) on
 *   top of the CMS estimate whenever the level asks for a timestamp: no dummy TSA request
 *   (the government TSA takes 2–131 s per call). Every document of a batch gets exactly one
 *   request, all sent at once after the token signed and queued by the per-TSA cap.
 * - B-LT: B-T, then a DSS with the certificates, OCSP responses and CRLs of the signer's
 *   and the TSA's paths, as an incremental update.
 * - B-LTA: B-LT, then a document timestamp.
 * A level is reached or the document fails (TIMESTAMP_FAILED, CERTIFICATE_STATUS_UNAVAILABLE,
 * …): never a silent fallback. For B-LT and B-LTA the output file is written only once every
 * step succeeded (the revisions are built in memory, then written atomically).
 */
import { createHash } from 'node:crypto';
import type { TimestampSettings, TrustMaterial } from '../config/index.ts';
import { addSignatureTimestamp, parseSignedData, signatureImprint } from '../cms/index.ts';
import { KysoError, isKysoError } from '../errors/index.ts';
import { revocation, timestamp as tsa } from '../ltv/index.ts';
import {
  addDocumentTimestamp,
  addDss,
  assertOutputFree,
  TempOutput,
  type PadesLevel,
  type SignPdfOptions,
  type SignPdfResult,
} from '../pdf/index.ts';
import { mergeCertificates, signingChain } from '../pki/index.ts';
import type { CertificateInfo, HashAlgorithm } from '../tokens/index.ts';
import { anchoredPath, type CertificateStatusCheck } from './status-check.ts';

/** Room for the signature timestamp token in /Contents (documented in docs/it-admin.md). */
export const SIGNATURE_TIMESTAMP_RESERVE = 16 * 1024;

const RANK: Record<PadesLevel, number> = { 'B-B': 0, 'B-T': 1, 'B-LT': 2, 'B-LTA': 3 };

export interface LtvProgress {
  document: string;
  step: 'signature-timestamp' | 'document-timestamp';
  progress: tsa.TimestampProgress;
}

export interface LtvSigningDeps {
  timestamp: TimestampSettings;
  trust: () => TrustMaterial;
  statusCheck: Pick<CertificateStatusCheck, 'run' | 'revocationOptions'> | undefined;
  onProgress?: (event: LtvProgress) => void;
  /** Tests: first retry delay. */
  backoffMs?: number;
}

/** What one document of a request needs to know: its name, level and output. */
export interface LtvItem {
  name: string;
  input: Buffer | string;
  output?: string;
  options: { level?: PadesLevel };
}

export class LtvSigning {
  constructor(private readonly deps: LtvSigningDeps) {}

  /** No TSA, no status check: B-B only (tests and embedders that wire nothing). */
  static disabled(): LtvSigning {
    return new LtvSigning({
      timestamp: { urls: [], timeoutMs: 180_000, tries: 3, maxConcurrent: 4 },
      trust: () => ({ anchors: [], intermediates: [] }),
      statusCheck: undefined,
    });
  }

  /** One per signing request: its documents' timestamps and tokens. */
  session(): LtvSession {
    return new LtvSession(this.deps);
  }
}

export function levelOf(item: LtvItem): PadesLevel {
  return item.options.level ?? 'B-B';
}

export class LtvSession {
  private readonly stamps = new Map<string, Promise<tsa.VerifiedTimestamp>>();
  private readonly tokens = new Map<LtvItem, tsa.VerifiedTimestamp>();

  constructor(private readonly deps: LtvSigningDeps) {}

  /** True when this session writes the item's output itself (B-LT and B-LTA). */
  writesOutput(item: LtvItem): boolean {
    return RANK[levelOf(item)] >= RANK['B-LT'] && item.output !== undefined;
  }

  /**
   * Options for prepareSignPdf: the placeholder reserve and the hook that stamps the CMS.
   * Fails before any PIN when the level cannot be reached (no TSA configured).
   */
  async prepareOptions(
    item: LtvItem,
  ): Promise<Pick<SignPdfOptions, 'contentsReserve' | 'finishCms'>> {
    const level = levelOf(item);
    if (RANK[level] === 0) return {};
    if (this.deps.timestamp.urls.length === 0) {
      throw new KysoError('TIMESTAMP_FAILED', {
        level,
        reason: 'no timestamp authority configured (config timestamp.urls)',
      });
    }
    if (RANK[level] >= RANK['B-LT'] && this.deps.trust().anchors.length === 0) {
      throw new KysoError('CERTIFICATE_STATUS_UNAVAILABLE', {
        level,
        reason: 'B-LT needs trust.anchors: the paths whose status is embedded end there',
      });
    }
    if (this.writesOutput(item) && item.output !== undefined) {
      await assertOutputFree(item.input, item.output);
    }
    return {
      contentsReserve: SIGNATURE_TIMESTAMP_RESERVE,
      finishCms: async (der) => {
        const stamped = await this.signatureTimestamp(item.name, signatureImprint(der));
        this.tokens.set(item, stamped);
        return addSignatureTimestamp(der, stamped.token);
      },
    };
  }

  /**
   * Requests every signature timestamp of the batch at once (the TSA cap queues them): one
   * request per document. `items` are the prepared documents, in the order of `signatures`.
   */
  prefetch(items: readonly LtvItem[], signatures: readonly { signature: Buffer }[]): void {
    items.forEach((item, i) => {
      const s = signatures[i];
      if (!s || RANK[levelOf(item)] === 0 || this.deps.timestamp.urls.length === 0) return;
      const imprint = signatureImprintOfValue(s.signature);
      void this.signatureTimestamp(item.name, imprint).catch(() => undefined);
    });
  }

  /** After the signature is embedded: DSS, document timestamp, output; the level reached. */
  async complete(
    item: LtvItem,
    result: SignPdfResult,
    certificate: CertificateInfo,
  ): Promise<SignPdfResult> {
    const level = levelOf(item);
    if (RANK[level] < RANK['B-LT']) return { ...result, level };
    const signed = result.bytes;
    const stamped = this.tokens.get(item);
    if (!signed || !stamped) {
      throw new KysoError('SIGNING_FAILED', { reason: 'B-LT without the signed bytes or token' });
    }
    let bytes = await addDss(signed, await this.validationMaterial(certificate, stamped));
    if (level === 'B-LTA') {
      const done = await addDocumentTimestamp(bytes, {
        stamp: async (digest, hash) =>
          (await this.request(item.name, 'document-timestamp', digest, hash)).token,
      });
      bytes = done.bytes;
    }
    const { bytes: _ignored, ...rest } = result;
    void _ignored;
    if (item.output !== undefined) {
      const temp = await TempOutput.fromBytes(bytes, item.output);
      try {
        await temp.commit(Buffer.alloc(0), bytes.length, item.output);
      } catch (error) {
        await temp.discard();
        throw error;
      }
      return { ...rest, output: item.output, size: bytes.length, level };
    }
    return { ...rest, bytes, size: bytes.length, level };
  }

  /** Certificates, OCSP responses and CRLs of the signer's and the TSA's paths. */
  private async validationMaterial(
    certificate: CertificateInfo,
    stamped: tsa.VerifiedTimestamp,
  ): Promise<{ certificates: Buffer[]; ocsps: Buffer[]; crls: Buffer[] }> {
    const check = this.deps.statusCheck;
    if (!check) {
      throw new KysoError('CERTIFICATE_STATUS_UNAVAILABLE', { reason: 'no status check wired' });
    }
    // The revocation cache answers: the status was fetched before the PIN was asked.
    const signer = await check.run(certificate);
    if (signer.error) throw signer.error;
    const trust = this.deps.trust();
    const tokenCerts = parseSignedData(stamped.token).certificates;
    const tsaChain = signingChain(
      stamped.tsaCertificate,
      [...tokenCerts, ...trust.intermediates],
      trust.anchors,
    );
    const tsaPath = anchoredPath(stamped.tsaCertificate, tsaChain, trust.anchors);
    if (!tsaPath) {
      throw new KysoError('CERTIFICATE_UNTRUSTED', {
        reason: 'the TSA certificate does not chain to a configured trust anchor',
      });
    }
    const tsaStatus = await revocation.checkPathStatus(tsaPath, {
      ...check.revocationOptions(),
      onUnknown: 'refuse',
    });
    const statuses = [...signer.statuses, ...tsaStatus.certificates];
    if (signer.path.length === 0 || signer.statuses.length !== signer.path.length - 1) {
      throw new KysoError('CERTIFICATE_STATUS_UNAVAILABLE', {
        level: 'B-LT',
        reason: 'the signer path was not checked (no trust anchors?)',
      });
    }
    const missing = statuses.find((s) => s.status !== 'good' || !s.response);
    if (missing) {
      throw new KysoError('CERTIFICATE_STATUS_UNAVAILABLE', {
        level: 'B-LT',
        reason: `no revocation data to embed for ${missing.subject}`,
      });
    }
    const pick = (source: 'ocsp' | 'crl'): Buffer[] =>
      mergeCertificates(
        [],
        statuses.flatMap((s) => (s.source === source && s.response ? [s.response] : [])),
      );
    return {
      certificates: mergeCertificates(signer.path, tsaPath),
      ocsps: pick('ocsp'),
      crls: pick('crl'),
    };
  }

  private signatureTimestamp(document: string, imprint: Buffer): Promise<tsa.VerifiedTimestamp> {
    const key = imprint.toString('hex');
    let p = this.stamps.get(key);
    if (!p) {
      p = this.request(document, 'signature-timestamp', imprint, 'SHA-256');
      this.stamps.set(key, p);
    }
    return p;
  }

  /** Tries each configured TSA in turn; TIMESTAMP_FAILED when none gave a valid token. */
  private async request(
    document: string,
    step: LtvProgress['step'],
    digest: Buffer,
    hash: HashAlgorithm,
  ): Promise<tsa.VerifiedTimestamp> {
    const settings = this.deps.timestamp;
    const trust = this.deps.trust();
    let last: unknown;
    for (const url of settings.urls) {
      const client = tsa.createTimestampClient({
        url,
        timeoutMs: settings.timeoutMs,
        tries: settings.tries,
        maxConcurrent: settings.maxConcurrent,
        ...(this.deps.backoffMs !== undefined ? { backoffMs: this.deps.backoffMs } : {}),
        ...(trust.anchors.length > 0
          ? { trustAnchors: trust.anchors, intermediates: trust.intermediates }
          : {}),
        onProgress: (progress) => this.deps.onProgress?.({ document, step, progress }),
      });
      try {
        return await client.timestamp(digest, hash);
      } catch (error) {
        last = error;
      }
    }
    if (isKysoError(last)) throw last;
    throw new KysoError('TIMESTAMP_FAILED', { reason: String(last) });
  }
}

/** The imprint of a raw signature value (what signatureImprint computes from the CMS). */
function signatureImprintOfValue(signature: Buffer): Buffer {
  return createHash('sha256').update(signature).digest();
}
