/** RFC 3161 timestamps: request, client (timeouts, retries, concurrency cap), token verification. */
export { buildTimestampRequest, type TimestampRequest } from './request.ts';
export {
  createTimestampClient,
  DEFAULT_TSA_BACKOFF_MS,
  DEFAULT_TSA_MAX_CONCURRENT,
  DEFAULT_TSA_TIMEOUT_MS,
  DEFAULT_TSA_TRIES,
  type TimestampClient,
  type TimestampClientOptions,
  type TimestampProgress,
} from './client.ts';
export {
  parseTimestampResponse,
  parseTstInfo,
  verifyTimestampToken,
  type TimestampExpectation,
  type TimestampResponse,
  type TstInfo,
  type VerifiedTimestamp,
} from './token.ts';
export { Semaphore } from './semaphore.ts';
