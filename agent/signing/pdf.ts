/**
 * PDF use cases: sign one PDF or a batch (one approval and one PIN), verify. Order matters:
 * the certificate and token are checked by the signing service before any PDF is opened;
 * only then is each document parsed and hashed (prepared), signed once on the token, and
 * finished. A document that cannot be prepared or finished fails alone.
 */
import { access, constants } from 'node:fs/promises';
import { keySchemeOf, type Signer } from '../cms/index.ts';
import { loadTrust, type TrustMaterial, type TrustSettings } from '../config/index.ts';
import { KysoError, toKysoError } from '../errors/index.ts';
import {
  prepareSignPdf,
  verifyPdf,
  type AppearanceOptions,
  type InputDigest,
  type PadesLevel,
  type PreparedPdfSignature,
  type SignaturePreset,
  type SignPdfOptions,
  type SignPdfResult,
  type VerifyResult,
} from '../pdf/index.ts';
import { chainForCertificate } from '../pki/index.ts';
import type {
  CertificateInfo,
  HashAlgorithm,
  SignatureScheme,
  TokenService,
} from '../tokens/index.ts';
import type { SigningCaller, SigningService } from './service.ts';
import { LtvSigning, type LtvSession } from './ltv.ts'; // issue 14: B-T, B-LT, B-LTA

/** Parses, plans and hashes one PDF; injectable so tests can see when a PDF gets opened. */
export type PreparePdf = (
  input: string | Buffer,
  options: SignPdfOptions,
) => Promise<PreparedPdfSignature>;

/** Documents of a batch prepared at once (parsed, copied, hashed). */
const PREPARE_CONCURRENCY = 4;
/** Documents of a batch finished at once (signature embedded, output written). */
const FINISH_CONCURRENCY = 4;

export interface PdfDocumentOptions {
  preset: SignaturePreset;
  appearance: AppearanceOptions;
  reason?: string;
  location?: string;
  fieldName?: string;
  certify?: 1 | 2 | 3;
  /** PAdES level to reach (issue 14); default B-B. */
  level?: PadesLevel;
}

export interface PdfSignItem {
  name: string;
  /** The PDF bytes, or a file path (read only after the certificate passed). */
  input: Buffer | string;
  options: PdfDocumentOptions;
  /** Output file; without it the signed bytes come back in the result. */
  output?: string;
  /**
   * False: the output is a temp file of the socket's document store (a fresh name of the
   * agent's own): not fsync'd, written in place without a FILE_EXISTS check first.
   */
  durable?: boolean;
  /** The input's bytes hashed already (an upload): not read again to hash them. */
  inputDigest?: InputDigest;
}

export interface PdfSignRequest {
  method: string;
  certificateId: string;
  scheme: SignatureScheme | undefined;
  hash: HashAlgorithm;
  /** CA certificates the caller adds to the chain found on the token and in trust. */
  extraChain?: Buffer[];
  items: PdfSignItem[];
  /** Called as each item is finished (signed or failed), in order. */
  onItem?: (outcome: PdfItemOutcome, done: number, total: number) => void;
}

export type PdfItemOutcome =
  { name: string; ok: true; result: SignPdfResult } | { name: string; ok: false; error: KysoError };

export interface PdfSignOutcome {
  certificate: CertificateInfo;
  /** CA certificates embedded in the CMS (empty: verifiers may not build the chain). */
  chain: Buffer[];
  items: PdfItemOutcome[];
}

/**
 * FILE_NOT_FOUND for an input path that cannot be read (whatever else failed), else null.
 * Asked only once preparing failed: a batch's readable files cost no extra file-system call.
 */
async function unreadableInput(input: Buffer | string): Promise<KysoError | null> {
  if (typeof input !== 'string') return null;
  return access(input, constants.R_OK).then(
    () => null,
    (error: NodeJS.ErrnoException) =>
      new KysoError('FILE_NOT_FOUND', {
        path: input,
        reason: error.code === 'ENOENT' ? 'no such file' : 'not readable',
      }),
  );
}

export class PdfSigning {
  private readonly service: SigningService;
  private readonly tokens: TokenService;
  private readonly trustSettings: TrustSettings;
  private readonly prepare: PreparePdf;
  private trust: TrustMaterial | undefined;
  private readonly ltv: LtvSigning; // issue 14

  constructor(deps: {
    service: SigningService;
    tokens: TokenService;
    trust: TrustSettings;
    prepare?: PreparePdf;
    ltv?: LtvSigning;
  }) {
    this.ltv = deps.ltv ?? LtvSigning.disabled(); // issue 14
    this.service = deps.service;
    this.tokens = deps.tokens;
    this.trustSettings = deps.trust;
    this.prepare = deps.prepare ?? prepareSignPdf;
  }

  /** The configured trust files, read once (loadConfig already checked them). */
  trustMaterial(): TrustMaterial {
    this.trust ??= loadTrust(this.trustSettings);
    return this.trust;
  }

  /** Signs a batch; the outcome lists every item, signed or failed, in order. */
  async signMany(caller: SigningCaller, request: PdfSignRequest): Promise<PdfSignOutcome> {
    const { hash } = request;
    let chain: Buffer[] = [];
    const outcomes: ({ prepared: PreparedPdfSignature } | { error: KysoError })[] = [];
    const ltv = this.ltv.session(); // issue 14: timestamps of this request
    const { certificate, results } = await this.service
      .sign(caller, {
        method: request.method,
        kind: 'pdf',
        certificateId: request.certificateId,
        scheme: request.scheme,
        documents: {
          names: request.items.map((item) => ({ name: item.name, hashAlgorithm: hash })),
          // Runs after the certificate and token checks: the first time a PDF is touched.
          prepare: async (cert) => {
            const signer = await this.preparingSigner(cert, request);
            chain = signer.chain ?? [];
            // A few at a time: one document's file copy and reads overlap another's parsing
            // and hashing (a 200-PDF batch prepared one by one spent half its time waiting).
            let next = 0;
            const worker = async (): Promise<void> => {
              while (next < request.items.length) {
                const i = next++;
                const item = request.items[i];
                if (item) outcomes[i] = await this.prepareItem(item, signer, hash, ltv);
              }
            };
            await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, worker));
            const documents = request.items.flatMap((item, i) => {
              const o = outcomes[i];
              return o && 'prepared' in o
                ? [
                    {
                      name: item.name,
                      hashAlgorithm: hash,
                      digest: o.prepared.toSign,
                      // Shown in the approval dialog beside the name.
                      preset: item.options.preset,
                      ...(item.options.appearance.docNumber !== undefined
                        ? { documentNumber: item.options.appearance.docNumber }
                        : {}),
                      ...(item.options.appearance.issuedDate !== undefined
                        ? { documentDate: item.options.appearance.issuedDate }
                        : {}),
                      // Known before the signature: the dialog warns before the user agrees.
                      ...(o.prepared.warnings.length > 0 ? { warnings: o.prepared.warnings } : {}),
                    },
                  ]
                : [];
            });
            return { documents, scheme: signer.scheme };
          },
        },
      })
      .catch(async (error: unknown) => {
        await Promise.all(outcomes.map((o) => ('prepared' in o ? o.prepared.abort() : null)));
        throw error;
      });
    // Issue 14: one TSA request per document, all at once (the per-TSA cap queues them).
    ltv.prefetch(
      request.items.filter((_, i) => outcomes[i] && 'prepared' in outcomes[i]),
      results,
    );
    let k = 0;
    const finishing = request.items.map((item, i): (() => Promise<PdfItemOutcome>) => {
      const o = outcomes[i];
      if (!o || 'error' in o) {
        const error = o?.error ?? toKysoError(null);
        return () => Promise.resolve({ name: item.name, ok: false, error });
      }
      const signed = results[k++];
      return async () => {
        try {
          if (!signed) throw new KysoError('SIGNING_FAILED', { reason: 'no signature returned' });
          const result = await o.prepared.finish(signed.signature);
          return {
            name: item.name,
            ok: true,
            result: await ltv.complete(item, result, certificate),
          };
        } catch (error) {
          return { name: item.name, ok: false, error: toKysoError(error) };
        }
      };
    });
    const items: PdfItemOutcome[] = [];
    const total = request.items.length;
    // A few documents written to files are finished at once (one's writes overlap another's
    // embedding); one signed in memory (bytes out, B-LT) waits its turn, so at most one such
    // copy is held. Each outcome is reported in order, once it and those before it are done.
    const started: (Promise<PdfItemOutcome> | undefined)[] = [];
    const start = (j: number): Promise<PdfItemOutcome> =>
      (started[j] ??= (finishing[j] as () => Promise<PdfItemOutcome>)());
    const toFile = (item: PdfSignItem): boolean =>
      item.output !== undefined && !ltv.writesOutput(item);
    for (let i = 0; i < total; i++) {
      for (let j = i + 1; j < Math.min(total, i + FINISH_CONCURRENCY); j++) {
        if (toFile(request.items[j] as PdfSignItem)) void start(j);
      }
      const outcome = await start(i);
      items.push(outcome);
      request.onItem?.(outcome, items.length, total);
    }
    return { certificate, chain, items };
  }

  /** Signs one PDF; its failure is thrown. */
  async signOne(
    caller: SigningCaller,
    request: Omit<PdfSignRequest, 'items'> & { item: PdfSignItem },
  ): Promise<{ certificate: CertificateInfo; chain: Buffer[]; result: SignPdfResult }> {
    const { item, ...rest } = request;
    const { certificate, chain, items } = await this.signMany(caller, { ...rest, items: [item] });
    const [only] = items;
    if (!only) throw new KysoError('SIGNING_FAILED', { reason: 'no signature returned' });
    if (!only.ok) throw only.error;
    return { certificate, chain, result: only.result };
  }

  /** Verifies every signature; without anchors, the configured anchors and intermediates. */
  verify(pdf: Buffer | string, trustAnchors?: Buffer[]): Promise<VerifyResult> {
    if (trustAnchors !== undefined) return verifyPdf(pdf, { trustAnchors });
    const trust = this.trustMaterial();
    return verifyPdf(pdf, { trustAnchors: trust.anchors, intermediates: trust.intermediates });
  }

  private async prepareItem(
    item: PdfSignItem,
    signer: Signer,
    hash: HashAlgorithm,
    ltv: LtvSession,
  ): Promise<{ prepared: PreparedPdfSignature } | { error: KysoError }> {
    try {
      const { options } = item;
      const prepared = await this.prepare(item.input, {
        signer,
        hash,
        preset: options.preset,
        appearance: options.appearance,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        ...(options.location !== undefined ? { location: options.location } : {}),
        ...(options.fieldName !== undefined ? { fieldName: options.fieldName } : {}),
        ...(options.certify !== undefined ? { certify: options.certify } : {}),
        ...(item.output !== undefined && !ltv.writesOutput(item) ? { output: item.output } : {}),
        ...(item.durable === false ? { durable: false, ownOutput: true } : {}),
        ...(item.inputDigest ? { inputDigest: item.inputDigest } : {}),
        ...(await ltv.prepareOptions(item)), // issue 14: B-T reserve and timestamp
      });
      return { prepared };
    } catch (error) {
      return { error: (await unreadableInput(item.input)) ?? toKysoError(error) };
    }
  }

  /**
   * The certificate side of a Signer for preparing the CMS: the signer's chain from its token
   * and the configured intermediates, plus the caller's. The signature itself comes from the
   * signing service (consent, PIN, journal), never from here.
   */
  private async preparingSigner(
    certificate: CertificateInfo,
    request: PdfSignRequest,
  ): Promise<Signer & { scheme: SignatureScheme }> {
    const der = Buffer.from(certificate.certificate, 'base64');
    const chain = await chainForCertificate(
      this.tokens,
      certificate,
      this.trustMaterial(),
      request.extraChain ?? [],
    );
    return {
      certificate: der,
      chain,
      scheme: keySchemeOf(der, request.scheme),
      sign: () =>
        Promise.reject(new KysoError('INTERNAL_ERROR', { reason: 'sign via the service' })),
    };
  }
}
