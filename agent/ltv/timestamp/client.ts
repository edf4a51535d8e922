/**
 * RFC 3161 over HTTP (§3.4): POST application/timestamp-query. The government TSA takes
 * 2–131 s per call, so: a long timeout (180 s), 3 tries with exponential backoff, and at most
 * 4 requests in flight per TSA URL across the whole process.
 */
import { KysoError } from '../../errors/index.ts';
import type { HashAlgorithm } from '../../protocol/index.ts';
import { fetchBytes, HttpFailure, rewriteUrl } from '../http.ts';
import { buildTimestampRequest } from './request.ts';
import { Semaphore } from './semaphore.ts';
import { parseTimestampResponse, verifyTimestampToken, type VerifiedTimestamp } from './token.ts';

export const DEFAULT_TSA_TIMEOUT_MS = 180_000;
export const DEFAULT_TSA_TRIES = 3;
export const DEFAULT_TSA_BACKOFF_MS = 2_000;
export const DEFAULT_TSA_MAX_CONCURRENT = 4;

export type TimestampProgress =
  | { state: 'queued'; attempt: number; tries: number }
  | { state: 'sending'; attempt: number; tries: number }
  | { state: 'waiting'; attempt: number; tries: number; delayMs: number; problem: string };

export interface TimestampClientOptions {
  url: string;
  timeoutMs?: number;
  tries?: number;
  /** First retry delay; doubled for each further retry. */
  backoffMs?: number;
  maxConcurrent?: number;
  /** Requested TSA policy OID, if the TSA has several. */
  policy?: string;
  /** Check the TSA certificate's path against these roots (recommended). */
  trustAnchors?: Buffer[];
  intermediates?: Buffer[];
  urlRewrites?: Readonly<Record<string, string>>;
  onProgress?: (progress: TimestampProgress) => void;
}

export interface TimestampClient {
  readonly url: string;
  /** A verified token over `digest` (the hash of what is stamped, e.g. a signature value). */
  timestamp(digest: Buffer, hash?: HashAlgorithm): Promise<VerifiedTimestamp>;
}

const semaphores = new Map<string, Semaphore>();

/** One semaphore per TSA URL, so every client of the same TSA shares the cap. */
function semaphoreFor(url: string, limit: number): Semaphore {
  let s = semaphores.get(url);
  if (!s || s.limit !== limit) {
    s = new Semaphore(limit);
    semaphores.set(url, s);
  }
  return s;
}

/** A failure worth another try: the TSA or the network is struggling, not refusing. */
class Retryable extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createTimestampClient(options: TimestampClientOptions): TimestampClient {
  const url = rewriteUrl(options.url, options.urlRewrites);
  const tries = Math.max(1, options.tries ?? DEFAULT_TSA_TRIES);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TSA_TIMEOUT_MS;
  const backoffMs = options.backoffMs ?? DEFAULT_TSA_BACKOFF_MS;
  const semaphore = semaphoreFor(url, options.maxConcurrent ?? DEFAULT_TSA_MAX_CONCURRENT);
  const progress = options.onProgress ?? ((): void => undefined);

  async function once(
    digest: Buffer,
    hash: HashAlgorithm,
    attempt: number,
  ): Promise<VerifiedTimestamp> {
    const request = buildTimestampRequest(
      digest,
      hash,
      options.policy ? { policy: options.policy } : {},
    );
    const reply = await semaphore.run(
      () => {
        progress({ state: 'sending', attempt, tries });
        return fetchBytes(url, {
          method: 'POST',
          body: request.der,
          contentType: 'application/timestamp-query',
          accept: 'application/timestamp-reply',
          timeoutMs,
          maxBytes: 1024 * 1024,
        }).catch((error: unknown) => {
          throw error instanceof HttpFailure ? new Retryable(error.message) : error;
        });
      },
      () => progress({ state: 'queued', attempt, tries }),
    );
    if (reply.status >= 500 || reply.status === 429)
      throw new Retryable(`HTTP ${reply.status} from the TSA`);
    if (reply.status !== 200) {
      throw new KysoError('TIMESTAMP_FAILED', { url, reason: `HTTP ${reply.status} from the TSA` });
    }
    const response = parseTimestampResponse(reply.body);
    if (response.status === 3) throw new Retryable('the TSA asked to wait (status waiting)');
    if ((response.status !== 0 && response.status !== 1) || !response.token) {
      throw new KysoError('TIMESTAMP_FAILED', {
        url,
        reason: `the TSA refused (status ${response.status}${response.statusText ? `: ${response.statusText}` : ''})`,
        failInfo: response.failInfo,
      });
    }
    return verifyTimestampToken(response.token, {
      digest,
      hash,
      nonce: request.nonce,
      ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
      ...(options.intermediates ? { intermediates: options.intermediates } : {}),
    });
  }

  return {
    url,
    async timestamp(digest, hash = 'SHA-256') {
      let last = '';
      for (let attempt = 1; attempt <= tries; attempt++) {
        try {
          return await once(digest, hash, attempt);
        } catch (error) {
          if (!(error instanceof Retryable)) throw error;
          last = error.message;
          if (attempt === tries) break;
          const delayMs = backoffMs * 2 ** (attempt - 1);
          progress({ state: 'waiting', attempt, tries, delayMs, problem: last });
          await sleep(delayMs);
        }
      }
      throw new KysoError('TIMESTAMP_FAILED', { url, tries, reason: last });
    },
  };
}
