/**
 * The signing pipeline every door uses (socket handlers, `kyso sign`, `kyso sign-hash`, the
 * tray): hashes and PDFs through one SigningService (checks, consent, PIN, journal), the PIN
 * cache, and the consent queue that origin approvals share with signing dialogs.
 */
import {
  loadTrust,
  type PinCachePolicy,
  type RevocationSettings,
  type TimestampSettings,
  type TrustMaterial,
  type TrustSettings,
} from '../config/index.ts';
import { ConsentQueue, type ConsentProvider, type ConsentQueueOptions } from '../consent/index.ts';
import type { Journal } from '../journal/index.ts';
import type { CertificateInfo, TokenService } from '../tokens/index.ts';
import { PdfSigning, type PreparePdf } from './pdf.ts';
import { PinCache } from './pin-cache.ts';
import { LtvSigning, type LtvProgress } from './ltv.ts'; // issue 14
import { CertificateStatusCheck } from './status-check.ts'; // issue 14
import {
  SigningService,
  type SignedDocument,
  type SignJob,
  type SigningCaller,
} from './service.ts';

export interface SigningPipelineDeps {
  tokens: TokenService;
  consent: ConsentProvider;
  journal: Journal;
  /** PIN cache policy; the command line passes it disabled (one signature, then exit). */
  pinCache: PinCachePolicy;
  trust: TrustSettings;
  /** Reply only after the journal record is fsync'd (config journal.syncBeforeReply). */
  syncJournal?: boolean;
  /**
   * Per-website consent limits (config consent): waiting requests per origin, dismissals
   * that count as a refusal, refusal memory.
   */
  consentQueue?: ConsentQueueOptions;
  /** Tests: see when a PDF gets opened. */
  preparePdf?: PreparePdf;
  /** Issue 14: status before signing (default policy refuse) and TSAs (none by default). */
  revocation?: RevocationSettings;
  timestamp?: TimestampSettings;
  /** Issue 14: the user waits for a TSA (CLI prints a line, the server logs). */
  onLtvProgress?: (event: LtvProgress) => void;
}

export class SigningPipeline {
  readonly consent: ConsentProvider;
  /**
   * One dialog at a time across origin approvals and signing; one lane per website, lanes
   * take turns; shares the refusal memory with the origin policy.
   */
  readonly queue: ConsentQueue;
  readonly pdf: PdfSigning;
  private readonly service: SigningService;
  private readonly pinCache: PinCache;
  private readonly unsubscribe: () => void;

  constructor(deps: SigningPipelineDeps) {
    this.consent = deps.consent;
    this.queue = new ConsentQueue(deps.consentQueue);
    this.pinCache = new PinCache(deps.pinCache, deps.tokens);
    // Issue 14 (LTV): one status check for every door, before approval and PIN.
    let trust: TrustMaterial | undefined;
    const trustOnce = (): TrustMaterial => (trust ??= loadTrust(deps.trust));
    const statusCheck = new CertificateStatusCheck({
      tokens: deps.tokens,
      trust: trustOnce,
      ...(deps.revocation ? { revocation: deps.revocation } : {}),
    });
    this.service = new SigningService({
      tokens: deps.tokens,
      consent: deps.consent,
      queue: this.queue,
      journal: deps.journal,
      pinCache: this.pinCache,
      ...(deps.syncJournal !== undefined ? { syncJournal: deps.syncJournal } : {}),
      statusCheck,
    });
    this.pdf = new PdfSigning({
      service: this.service,
      tokens: deps.tokens,
      trust: deps.trust,
      ...(deps.preparePdf ? { prepare: deps.preparePdf } : {}),
      ltv: new LtvSigning({
        timestamp: deps.timestamp ?? { urls: [], timeoutMs: 180_000, tries: 3, maxConcurrent: 4 },
        trust: trustOnce,
        statusCheck,
        ...(deps.onLtvProgress ? { onProgress: deps.onLtvProgress } : {}),
      }),
    });
    // A removed token's cached login died with the device.
    this.unsubscribe = deps.tokens.onEvent((event) => {
      if (event.type !== 'tokens.changed') return;
      for (const token of event.removed) this.pinCache.forget(token.id);
    });
  }

  /** Signs digests the caller computed (sign.hash, sign.hashes, `kyso sign-hash`). */
  signDigests(
    caller: SigningCaller,
    job: SignJob,
  ): Promise<{ certificate: CertificateInfo; results: SignedDocument[] }> {
    return this.service.sign(caller, job);
  }

  /** Logs out cached logins and stops listening to the token service (agent stopping). */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.pinCache.clear();
  }
}
