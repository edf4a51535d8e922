/**
 * The signing use case behind every door (socket, CLI, tray): check the certificate and the
 * token's PIN state, prepare the documents (only then: a PDF is parsed after the certificate
 * passed), ask the user (serialised, one dialog at a time), get the PIN from the consent
 * provider (retrying a wrong PIN while the token is not locked), sign, and journal the outcome
 * whatever it is.
 */
import {
  isSafeDisplayText,
  type ConsentProvider,
  type ConsentQueue,
  type DocumentToSign,
  type ConsentRunOptions,
} from '../consent/index.ts';
import { KysoError, isKysoError, toKysoError } from '../errors/index.ts';
import { assertUsableForSigning } from '../pki/index.ts';
import type {
  Journal,
  JournalAttempt,
  JournalDocument,
  JournalStatus,
  NewJournalRecord,
} from '../journal/index.ts';
import type {
  CertificateInfo,
  Credentials,
  HashAlgorithm,
  SignatureScheme,
  SignResult,
  TokenInfo,
  TokenService,
} from '../tokens/index.ts';
import type { SignaturePreset, SignWarning } from '../protocol/index.ts';
import type { PinCache } from './pin-cache.ts';
import type { CertificateStatusCheck } from './status-check.ts'; // issue 14 (LTV)

/** PIN dialogs shown for one request before giving up with PIN_INCORRECT. */
export const MAX_PIN_PROMPTS = 3;

export interface DocumentDigest {
  name: string;
  hashAlgorithm: HashAlgorithm;
  digest: Buffer;
  /** What the signing dialog shows besides the name (PDF signatures). */
  preset?: SignaturePreset;
  documentNumber?: string;
  documentDate?: string;
  /** What will not go as asked (known once the PDF is planned): the dialog shows it first. */
  warnings?: SignWarning[];
}

/**
 * Documents whose digests exist only after work on them (a PDF parsed and hashed): `prepare`
 * runs after the certificate and token checks, so an unusable certificate costs no parsing.
 */
export interface DeferredDocuments {
  /** Names and algorithms journaled if preparation never happens. */
  names: { name: string; hashAlgorithm: HashAlgorithm }[];
  /** The digests, and the scheme when preparing fixed it (the CMS names its algorithm). */
  prepare(
    certificate: CertificateInfo,
  ): Promise<{ documents: DocumentDigest[]; scheme?: SignatureScheme }>;
}

export interface SignJob {
  method: string;
  certificateId: string;
  scheme: SignatureScheme | undefined;
  documents: DocumentDigest[] | DeferredDocuments;
  kind?: 'hash' | 'pdf';
}

/** A job whose documents are known: what the token signs. */
interface ReadyJob extends Omit<SignJob, 'documents'> {
  documents: DocumentDigest[];
  /** Journals the approved signature as 'signing' (once per request), as the token starts. */
  beginRecord(): JournalAttempt;
}

function journalDocuments(documents: DocumentDigest[]): JournalDocument[] {
  return documents.map((d) => ({
    name: d.name,
    hashAlgorithm: d.hashAlgorithm,
    digestHex: d.digest.toString('hex'),
  }));
}

/** What the approval dialog lists: the journal's view plus preset, number, date, warnings. */
function consentDocuments(documents: DocumentDigest[]): DocumentToSign[] {
  return documents.map((d) => ({
    name: d.name,
    hashAlgorithm: d.hashAlgorithm,
    digestHex: d.digest.toString('hex'),
    ...(d.preset !== undefined ? { preset: d.preset } : {}),
    ...(d.documentNumber !== undefined ? { documentNumber: d.documentNumber } : {}),
    ...(d.documentDate !== undefined ? { documentDate: d.documentDate } : {}),
    ...(d.warnings !== undefined && d.warnings.length > 0 ? { warnings: d.warnings } : {}),
  }));
}

/** Every door's names reach the dialog through here: refuse the ones that could spoof it. */
function assertSafeNames(names: { name: string }[]): void {
  const unsafe = names.findIndex((d) => !isSafeDisplayText(d.name));
  if (unsafe >= 0) {
    throw new KysoError('INVALID_INPUT', {
      field: `documents[${unsafe}].name`,
      problem: 'a name without control or bidi-override characters',
    });
  }
}

export type SignedDocument = SignResult;

/** Websites get their own consent lane (cap, turns, dismissals); the command line does not. */
function queueOptions(caller: SigningCaller): ConsentRunOptions {
  return /^https?:\/\//.test(caller.origin) ? { origin: caller.origin } : {};
}

export interface SigningCaller {
  /** Web origin for the socket; "cli:<user name>" for the command line (journaled). */
  origin: string;
  requestId: string;
  signal: AbortSignal;
}

export class SigningService {
  private readonly tokens: TokenService;
  private readonly consent: ConsentProvider;
  private readonly queue: ConsentQueue;
  private readonly journal: Journal;
  private readonly pinCache: PinCache;
  private readonly syncJournal: boolean;
  private readonly statusCheck: Pick<CertificateStatusCheck, 'run'> | undefined; // issue 14
  /** Certificates found to need the PIN for every signature despite a cached login. */
  private readonly pinEachTime = new Set<string>();

  constructor(deps: {
    tokens: TokenService;
    consent: ConsentProvider;
    queue: ConsentQueue;
    journal: Journal;
    pinCache: PinCache;
    /** Answer only after the journal record is fsync'd (config journal.syncBeforeReply). */
    syncJournal?: boolean;
    /** Issue 14: path to trust.anchors and revocation status before approval and PIN. */
    statusCheck?: Pick<CertificateStatusCheck, 'run'>;
  }) {
    this.statusCheck = deps.statusCheck;
    this.syncJournal = deps.syncJournal ?? true;
    this.tokens = deps.tokens;
    this.consent = deps.consent;
    this.queue = deps.queue;
    this.journal = deps.journal;
    this.pinCache = deps.pinCache;
  }

  async sign(
    caller: SigningCaller,
    job: SignJob,
  ): Promise<{ certificate: CertificateInfo; results: SignedDocument[] }> {
    let certificate: CertificateInfo | undefined;
    let token: TokenInfo | undefined;
    /** A dialog was shown for this request (failures before one are rate-limited). */
    let prompted = false;
    const queueOrigin = queueOptions(caller);
    const deferred = Array.isArray(job.documents) ? null : job.documents;
    let documents: JournalDocument[] = deferred
      ? deferred.names.map((d) => ({ ...d, digestHex: '' }))
      : journalDocuments(job.documents as DocumentDigest[]);
    assertSafeNames(documents);
    let status: JournalStatus | undefined; // issue 14: journaled status check
    /** The 'signing' record, once the token was asked: the outcome record names it. */
    let attempt: JournalAttempt | undefined;
    try {
      certificate = await this.tokens.getCertificate(job.certificateId);
      assertUsableForSigning(certificate, new Date());
      token = await this.tokens.getToken(certificate.tokenId);
      // No point asking the user to approve what a locked token cannot sign.
      if (token.pin.locked && token.loginRequired && !token.protectedAuthenticationPath) {
        throw new KysoError('PIN_LOCKED', { token: token.label });
      }
      // Issue 14 (LTV): chain to trust.anchors and revocation status, before approval and PIN.
      const checked = await this.statusCheck?.run(certificate);
      status = checked?.record;
      if (checked?.error) throw checked.error;
      const prepared = deferred
        ? await deferred.prepare(certificate)
        : { documents: job.documents as DocumentDigest[] };
      const cert = certificate;
      const tok = token;
      const ready: ReadyJob = {
        ...job,
        documents: prepared.documents,
        scheme: prepared.scheme ?? job.scheme,
        beginRecord: () =>
          (attempt ??= this.journal.begin(
            this.recordFields(caller, job, documents, cert, tok, undefined, status),
            { durable: this.syncJournal },
          )),
      };
      if (deferred) {
        documents = journalDocuments(ready.documents);
        assertSafeNames(documents);
        // Nothing left to sign (every document failed to prepare): nothing to ask or journal.
        if (ready.documents.length === 0) return { certificate, results: [] };
      }
      const shown = consentDocuments(ready.documents);
      // The dialogs (approval, PIN tries) run one request at a time, websites taking turns;
      // signing without a prompt (cached login, PIN pad) happens after the lock so other
      // requests proceed.
      const signedInLock = await this.queue.run(
        caller.signal,
        async () => {
          prompted = true;
          const approved = await this.consent.approveSigning(
            {
              origin: caller.origin,
              certificate: cert,
              token: tok,
              kind: job.kind ?? 'hash',
              documents: shown,
            },
            caller.signal,
          );
          if (!approved) {
            // A "no" ends this website's other waiting requests too, without dialogs.
            if (queueOrigin.origin !== undefined) this.queue.cancelWaiting(queueOrigin.origin);
            throw new KysoError('USER_CANCELLED', { step: 'approval' });
          }
          if (this.needsNoPrompt(tok, cert)) return null;
          return this.signWithPin(caller, ready, cert, tok);
        },
        queueOrigin,
      );
      const results = signedInLock ?? (await this.signWithoutPrompt(caller, ready, cert, tok));
      await this.record(
        caller,
        job,
        documents,
        certificate,
        token,
        'signed',
        null,
        true,
        undefined,
        status,
        attempt,
      );
      return { certificate, results };
    } catch (error) {
      const kyso = toKysoError(error, 'SIGNING_FAILED');
      const result = kyso.code === 'USER_CANCELLED' ? 'refused' : 'failed';
      let detail: string | undefined;
      if (prompted && caller.signal.aborted) detail = 'dismissed: the page went away';
      else if (!prompted && typeof kyso.details.reason === 'string') detail = kyso.details.reason;
      await this.record(
        caller,
        job,
        documents,
        certificate,
        token,
        result,
        kyso.code,
        prompted,
        detail,
        status,
        attempt,
      );
      throw kyso;
    }
  }

  private async record(
    caller: SigningCaller,
    job: SignJob,
    documents: JournalDocument[],
    certificate: CertificateInfo | undefined,
    token: TokenInfo | undefined,
    result: 'signed' | 'refused' | 'failed',
    errorCode: string | null,
    prompted: boolean,
    detail?: string,
    status?: JournalStatus,
    attempt?: JournalAttempt,
  ): Promise<void> {
    const fields = this.recordFields(caller, job, documents, certificate, token, detail, status);
    await this.journal.append(
      {
        ...fields,
        result,
        errorCode,
        ...(attempt && attempt.id !== '' ? { attempt: attempt.id } : {}),
      },
      {
        // A signature's 'signing' record was synced before the reply (callToken): its outcome
        // need not be. Failures before any dialog cost the page nothing: the journal
        // rate-limits them per origin (first few recorded, the rest aggregated).
        durable: this.syncJournal && !(result === 'signed' && attempt !== undefined),
        unprompted: !prompted,
      },
    );
  }

  /** What every record of a request says, whatever its result. */
  private recordFields(
    caller: SigningCaller,
    job: SignJob,
    documents: JournalDocument[],
    certificate: CertificateInfo | undefined,
    token: TokenInfo | undefined,
    detail: string | undefined,
    status: JournalStatus | undefined,
  ): Omit<NewJournalRecord, 'result' | 'errorCode'> {
    return {
      ...(detail === undefined ? {} : { detail }),
      requestId: caller.requestId,
      origin: caller.origin,
      method: job.method,
      certificateId: certificate?.id ?? job.certificateId,
      certificateSubject: certificate?.subject.text ?? null,
      tokenLabel: token?.label ?? null,
      documents,
      ...(status ? { status } : {}),
    };
  }

  /**
   * Signs, with the 'signing' record written before and synced while the token works: the
   * signatures come back only once that record is on the disk.
   */
  private async callToken(job: ReadyJob, credentials: Credentials): Promise<SignResult[]> {
    const { written } = job.beginRecord();
    const [results] = await Promise.all([this.signOnToken(job, credentials), written]);
    return results;
  }

  private signOnToken(job: ReadyJob, credentials: Credentials): Promise<SignResult[]> {
    const [first] = job.documents;
    if (job.documents.length === 1 && first) {
      return this.tokens
        .sign(
          {
            certificateId: job.certificateId,
            hashAlgorithm: first.hashAlgorithm,
            digest: first.digest,
            ...(job.scheme ? { scheme: job.scheme } : {}),
          },
          credentials,
        )
        .then((r) => [r]);
    }
    return this.tokens.signMany(
      job.certificateId,
      job.documents.map((d) => ({
        hashAlgorithm: d.hashAlgorithm,
        digest: d.digest,
        ...(job.scheme ? { scheme: job.scheme } : {}),
      })),
      credentials,
    );
  }

  private async refreshPinState(
    token: TokenInfo,
    details: Record<string, unknown>,
  ): Promise<TokenInfo> {
    const flag = (name: 'countLow' | 'finalTry' | 'locked') =>
      typeof details[name] === 'boolean' ? (details[name] as boolean) : undefined;
    const [countLow, finalTry, locked] = [flag('countLow'), flag('finalTry'), flag('locked')];
    if (countLow !== undefined || finalTry !== undefined || locked !== undefined) {
      return {
        ...token,
        pin: {
          ...token.pin,
          countLow: countLow ?? token.pin.countLow,
          finalTry: finalTry ?? token.pin.finalTry,
          locked: locked ?? token.pin.locked,
        },
      };
    }
    const fresh = (await this.tokens.listTokens()).find((t) => t.id === token.id);
    return fresh ?? token;
  }

  /**
   * PIN pad, a token without login, or a cached login: nothing to ask. A key that needs the
   * PIN for every signature (CKA_ALWAYS_AUTHENTICATE, e.g. SIM PKI) never uses the cache.
   */
  private needsNoPrompt(token: TokenInfo, certificate: CertificateInfo): boolean {
    if (token.protectedAuthenticationPath || !token.loginRequired) return true;
    const pinEachTime = certificate.alwaysAuthenticate || this.pinEachTime.has(certificate.id);
    return this.pinCache.has(token.id) && !pinEachTime;
  }

  private async signWithoutPrompt(
    caller: SigningCaller,
    job: ReadyJob,
    certificate: CertificateInfo,
    token: TokenInfo,
  ): Promise<SignResult[]> {
    const stayLoggedIn = this.pinCache.enabled;
    if (token.protectedAuthenticationPath || !token.loginRequired) {
      return this.withReaderPrompt(caller, certificate, token, () =>
        this.callToken(job, { stayLoggedIn }),
      );
    }
    try {
      return await this.callToken(job, { stayLoggedIn: true });
    } catch (error) {
      const retryable = isKysoError(error, 'PIN_REQUIRED') || isKysoError(error, 'SIGNING_FAILED');
      if (!retryable) throw error;
      // PIN_REQUIRED: the cached session is gone (token replugged, logged out elsewhere).
      // SIGNING_FAILED on a logged-in session: typically a key that wants the PIN for every
      // signature but could not be seen as such before login (private key attributes are
      // hidden until then). Either way: ask the PIN and sign with a fresh login; remember the
      // second case so this certificate goes straight to the PIN next time.
      if (isKysoError(error, 'SIGNING_FAILED')) this.pinEachTime.add(certificate.id);
      this.pinCache.forget(token.id);
      return this.queue.run(
        caller.signal,
        () => this.signWithPin(caller, job, certificate, token),
        queueOptions(caller),
      );
    }
  }

  /**
   * A PIN-pad reader waits for the PIN on its own keypad during the signature: the consent
   * provider shows so meanwhile and closes the notice however the signature ends.
   */
  private async withReaderPrompt<T>(
    caller: SigningCaller,
    certificate: CertificateInfo,
    token: TokenInfo,
    sign: () => Promise<T>,
  ): Promise<T> {
    const reader = token.loginRequired && (token.pinEntry ?? 'reader') === 'reader';
    const prompt =
      reader && token.protectedAuthenticationPath
        ? this.consent.readerPinPrompt?.(
            { token, certificate, origin: caller.origin },
            caller.signal,
          )
        : undefined;
    try {
      const result = await sign();
      prompt?.close('done');
      return result;
    } catch (error) {
      prompt?.close(caller.signal.aborted ? 'aborted' : 'failed');
      throw error;
    }
  }

  private async signWithPin(
    caller: SigningCaller,
    job: ReadyJob,
    certificate: CertificateInfo,
    token: TokenInfo,
  ): Promise<SignResult[]> {
    const stayLoggedIn = this.pinCache.enabled;
    let current = token;
    let previousAttempt: 'incorrect' | undefined;
    for (let prompt = 0; prompt < MAX_PIN_PROMPTS; prompt++) {
      if (current.pin.locked) throw new KysoError('PIN_LOCKED', { token: current.label });
      const pin = await this.consent.askPin(
        {
          token: current,
          certificate,
          origin: caller.origin,
          ...(previousAttempt ? { previousAttempt } : {}),
        },
        caller.signal,
      );
      if (pin === null) throw new KysoError('USER_CANCELLED', { step: 'pin' });
      try {
        const results = await this.callToken(job, { pin, stayLoggedIn });
        if (stayLoggedIn) this.pinCache.remember(token.id);
        return results;
      } catch (error) {
        if (!isKysoError(error, 'PIN_INCORRECT')) throw error;
        previousAttempt = 'incorrect';
        // Fresh tries-left flags for the next dialog ("last try before the token locks"):
        // from the error when the token service reports them, else re-read the token.
        current = await this.refreshPinState(current, error.details);
        if (current.pin.locked) throw new KysoError('PIN_LOCKED', { token: current.label });
      }
    }
    throw new KysoError('PIN_INCORRECT', { token: token.label, prompts: MAX_PIN_PROMPTS });
  }
}
