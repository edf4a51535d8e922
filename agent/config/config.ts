/**
 * The agent's config file: a small JSON document the administrator (or the tray) edits.
 * Every field is optional and validated; a bad file fails loudly with CONFIG_INVALID naming
 * every failing field (with its line and column), never silently falls back to defaults.
 */
import { readFileSync } from 'node:fs';
import { currentConfigDir, DEFAULT_DISK_RESERVE_BYTES } from '../platform/index.ts';
import { dirname, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import { loadCertificates } from '../pki/index.ts';
import {
  array,
  boolean,
  int,
  object,
  oneOf,
  parseJsonDocument,
  record,
  refine,
  string,
  validate,
  ValidationError,
  withDefault,
  type Positions,
  type Schema,
} from '../validation/index.ts';

/** Default port of the signing endpoint (ws://127.0.0.1:51987). No peer plugin uses it. */
export const DEFAULT_PORT = 51987;

export interface PinCachePolicy {
  /** Keep tokens logged in between signatures (off by default). */
  enabled: boolean;
  /** How long a PIN stays cached after it was entered (seconds). */
  ttlSeconds: number;
}

/**
 * Memory one incoming message costs, per byte of its size, while the agent holds it: the
 * received buffer, its text and the parsed JSON (measured: a 60 MiB frame grew the heap by
 * about 4.6 × its size, part of which is garbage collected before the next peak).
 */
export const FRAME_MEMORY_FACTOR = 4;

/**
 * Part of maxBufferedBytes kept for small messages (up to maxPendingPayloadBytes each): big
 * messages cannot take the last eighth, so a flood of them never blocks a 300-byte sign.hash.
 */
export function bufferHeadroom(maxBufferedBytes: number): number {
  return Math.floor(maxBufferedBytes / 8);
}

export interface ServerLimits {
  /** Largest WebSocket message accepted (bytes); bigger frames close the socket with 1009. */
  maxPayloadBytes: number;
  /** Requests one connection may have unanswered at once. */
  maxInFlight: number;
  /** Token bucket: sustained requests per second per connection... */
  ratePerSecond: number;
  /** ...and the burst allowed above it. */
  rateBurst: number;
  /** A connection with no traffic and nothing in flight for this long is closed (ms). */
  idleTimeoutMs: number;
  /** Items allowed in one sign.hashes batch. */
  maxBatchItems: number;
  /** WebSocket connections open at once (all origins); more are refused with HTTP 503. */
  maxConnections: number;
  /**
   * Largest message a connection may send before its origin is approved (bytes): enough for
   * agent.info; a bigger frame is refused at its header (close 1009) without being read.
   */
  maxPendingPayloadBytes: number;
  /**
   * Memory the agent may hold for incoming messages at once, all connections together
   * (bytes, counted as FRAME_MEMORY_FACTOR × message size: buffer, text and parsed JSON). A
   * message that does not fit is refused at its header (close 1013, AGENT_BUSY).
   */
  maxBufferedBytes: number;
  /** Connections one approved origin may keep open; more get HTTP 429 TOO_MANY_CONNECTIONS. */
  maxConnectionsPerOrigin: number;
  /** Connections one origin may keep open while waiting for the user's approval (HTTP 429 beyond). */
  maxPendingPerOrigin: number;
  /** Connections waiting for approval, all origins together (HTTP 503 beyond). */
  maxPendingConnections: number;
  /**
   * A message must arrive within this long of its first byte (ms), else close 1008: its
   * memory is reserved from the header on, and a trickled frame must not hold it.
   */
  messageTimeoutMs: number;
  /** Largest PDF accepted for signing or verification (bytes); more is DOCUMENT_TOO_LARGE. */
  maxDocumentBytes: number;
  /** Bytes of uploaded and signed documents one connection may hold at once (temp files). */
  maxStoredBytes: number;
  /** The same for all connections together, so many websites cannot fill the disk. */
  maxTotalStoredBytes: number;
  /**
   * Free disk space an upload must leave on the documents folder's disk (bytes): a document
   * that would eat into it is refused with DISK_FULL before a byte is written.
   */
  minFreeDiskBytes: number;
}

export interface JournalPolicy {
  /** Rotate the journal file when it would grow past this size (bytes). */
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  keepFiles: number;
  /**
   * Wait for fdatasync before answering the web app (default true). false answers once the
   * record is written (safe against an agent crash; a power cut may lose the last few ms).
   */
  syncBeforeReply: boolean;
  /**
   * Records younger than this are never removed (days). The agent deletes no journal file at
   * all: rotated files beyond keepFiles, or older than this, are archived (gzip).
   */
  retentionDays: number;
  /** Largest record (bytes, JSON): longer fields are cut with a marker, extra documents hashed. */
  maxRecordBytes: number;
  /**
   * Failures before any dialog recorded one by one per origin per minute; the rest of the
   * minute becomes one aggregate record (count, error codes, first and last time).
   */
  failuresPerMinute: number;
}

export interface ConsentPolicy {
  /** Signing / approval requests one website may have waiting for a dialog. */
  maxPendingPerOrigin: number;
  /** Dialogs closed by the page (socket closed) that count as a refusal... */
  dismissalsBeforeRefusal: number;
  /** ...within this window (ms). */
  dismissalWindowMs: number;
  /** How long a refused website gets no dialog, only ORIGIN_NOT_ALLOWED + retryAfter (ms). */
  refusalMemoryMs: number;
}

export interface TrustSettings {
  /** PEM (or DER) files of the roots the agency trusts: verification and doctor default to them. */
  anchors: string[];
  /** PEM files of CA certificates that complete paths (embedded when signing, used to verify). */
  intermediates: string[];
}

/** Certificate status before signing (Decree 68/2024 Art. 29, 31): OCSP, then CRL. */
export interface RevocationSettings {
  /** No definitive answer (responder "unknown" or unreachable): refuse (default) or warn. */
  policy: 'refuse' | 'warn';
  /** Per HTTP exchange (ms). */
  timeoutMs: number;
  /** URL prefix → prefix, e.g. {"http://ocsp.ca.ptc": "http://ocsp.ca.gov.vn"}. */
  urlRewrites: Record<string, string>;
}

/** RFC 3161 timestamp authorities for PAdES B-T and above; none by default. */
export interface TimestampSettings {
  /** TSA URLs, tried in order (e.g. "http://tsa.ca.gov.vn"); empty: no timestamps. */
  urls: string[];
  timeoutMs: number;
  tries: number;
  maxConcurrent: number;
}

export interface AgentConfig {
  port: number;
  /** Origins allowed without asking, e.g. "https://vanban.example.gov.vn". */
  allowedOrigins: string[];
  /** PKCS#11 module paths; empty means the known paths for this OS. */
  modules: string[];
  pinCache: PinCachePolicy;
  limits: ServerLimits;
  journal: JournalPolicy;
  consent: ConsentPolicy;
  trust: TrustSettings;
  revocation: RevocationSettings;
  timestamp: TimestampSettings;
}

export const defaultConfig: AgentConfig = {
  port: DEFAULT_PORT,
  allowedOrigins: [],
  modules: [],
  pinCache: { enabled: false, ttlSeconds: 300 },
  limits: {
    maxPayloadBytes: 64 * 1024 * 1024,
    maxInFlight: 32,
    ratePerSecond: 50,
    rateBurst: 200,
    idleTimeoutMs: 10 * 60 * 1000,
    maxBatchItems: 500,
    maxConnections: 128,
    maxPendingPayloadBytes: 8 * 1024,
    maxBufferedBytes: 320 * 1024 * 1024,
    maxConnectionsPerOrigin: 32,
    maxPendingPerOrigin: 4,
    maxPendingConnections: 16,
    messageTimeoutMs: 30_000,
    maxDocumentBytes: 100 * 1024 * 1024,
    maxStoredBytes: 2 * 1024 * 1024 * 1024,
    maxTotalStoredBytes: 8 * 1024 * 1024 * 1024,
    minFreeDiskBytes: DEFAULT_DISK_RESERVE_BYTES,
  },
  journal: {
    maxBytes: 10 * 1024 * 1024,
    keepFiles: 5,
    syncBeforeReply: true,
    retentionDays: 365,
    maxRecordBytes: 64 * 1024,
    failuresPerMinute: 10,
  },
  consent: {
    maxPendingPerOrigin: 4,
    dismissalsBeforeRefusal: 2,
    dismissalWindowMs: 10 * 60 * 1000,
    refusalMemoryMs: 10 * 60 * 1000,
  },
  trust: { anchors: [], intermediates: [] },
  revocation: { policy: 'refuse', timeoutMs: 15_000, urlRewrites: {} },
  timestamp: { urls: [], timeoutMs: 180_000, tries: 3, maxConcurrent: 4 },
};

/** Directory for the config file, approved origins and the journal. KYSO_CONFIG_DIR overrides. */
export function defaultConfigDir(): string {
  return currentConfigDir();
}

/**
 * Canonical form of a web origin ("scheme://host[:port]", default port dropped, lowercase),
 * or null when the text is not an http(s) origin. "null" origins are never valid.
 */
export function normaliseOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  if (url.pathname !== '/' || url.search || url.hash) {
    // An Origin header never has a path; a config entry with one is a mistake.
    if (text.replace(/\/$/, '') !== url.origin) return null;
  }
  return url.origin;
}

const d = defaultConfig;
const l = d.limits;
const strings = (): Schema<string[]> =>
  withDefault(
    array(string(), { expected: { vi: 'một danh sách chuỗi ký tự', en: 'a list of strings' } }),
    [],
  );
const filePaths = withDefault(
  array(string({ nonBlank: true, expected: { vi: 'một đường dẫn tệp', en: 'a file path' } }), {
    expected: { vi: 'một danh sách đường dẫn tệp', en: 'a list of file paths' },
  }),
  [],
);
const origin = refine(string(), (text, report) => {
  const normal = normaliseOrigin(text);
  if (normal !== null) return normal;
  return report.fail({
    vi: 'phải là một origin http(s), ví dụ "https://vanban.example.gov.vn"',
    en: 'must be an http(s) origin such as "https://vanban.example.gov.vn"',
  });
});
const httpUrl = refine(string({ nonBlank: true }), (text, report) => {
  if (/^https?:\/\/[^\s/]+/i.test(text)) return text;
  return report.fail({
    vi: 'phải là một URL http(s), ví dụ "http://tsa.ca.gov.vn"',
    en: 'must be an http(s) URL such as "http://tsa.ca.gov.vn"',
  });
});
const limit = (min: number, max: number, fallback: number): Schema<number> =>
  withDefault(int(min, max), fallback);

/** The config file's shape: every member optional, defaults filled in. */
const configSchema = object(
  {
    port: withDefault(int(0, 65535), d.port),
    allowedOrigins: withDefault(
      array(origin, { expected: { vi: 'một danh sách origin', en: 'a list of origins' } }),
      [],
    ),
    modules: strings(),
    pinCache: withDefault(
      object({
        enabled: withDefault(boolean(), d.pinCache.enabled),
        ttlSeconds: limit(1, 8 * 3600, d.pinCache.ttlSeconds),
      }),
      d.pinCache,
    ),
    limits: withDefault(
      refine(
        object({
          maxPayloadBytes: limit(1024, 512 * 1024 * 1024, l.maxPayloadBytes),
          maxInFlight: limit(1, 1024, l.maxInFlight),
          ratePerSecond: limit(1, 100_000, l.ratePerSecond),
          rateBurst: limit(1, 100_000, l.rateBurst),
          idleTimeoutMs: limit(1000, 24 * 3600 * 1000, l.idleTimeoutMs),
          maxBatchItems: limit(1, 10_000, l.maxBatchItems),
          maxConnections: limit(1, 10_000, l.maxConnections),
          maxPendingPayloadBytes: limit(512, 1024 * 1024, l.maxPendingPayloadBytes),
          maxBufferedBytes: limit(1024 * 1024, 2 ** 34, l.maxBufferedBytes),
          maxConnectionsPerOrigin: limit(1, 10_000, l.maxConnectionsPerOrigin),
          maxPendingPerOrigin: limit(1, 10_000, l.maxPendingPerOrigin),
          maxPendingConnections: limit(1, 10_000, l.maxPendingConnections),
          messageTimeoutMs: limit(100, 3600 * 1000, l.messageTimeoutMs),
          maxDocumentBytes: limit(1024, 2 ** 40, l.maxDocumentBytes),
          maxStoredBytes: limit(1024, 2 ** 44, l.maxStoredBytes),
          maxTotalStoredBytes: limit(1024, 2 ** 46, l.maxTotalStoredBytes),
          minFreeDiskBytes: limit(0, 2 ** 50, l.minFreeDiskBytes),
        }),
        (limits, report) =>
          limits.maxPayloadBytes * FRAME_MEMORY_FACTOR >
          limits.maxBufferedBytes - bufferHeadroom(limits.maxBufferedBytes)
            ? report.fail({
                vi: `maxBufferedBytes phải ít nhất bằng ${FRAME_MEMORY_FACTOR} × maxPayloadBytes × 8/7 (${Math.ceil((FRAME_MEMORY_FACTOR * limits.maxPayloadBytes * 8) / 7)}), nếu không thông điệp lớn nhất không bao giờ được nhận`,
                en: `maxBufferedBytes must be at least ${FRAME_MEMORY_FACTOR} × maxPayloadBytes × 8/7 (${Math.ceil((FRAME_MEMORY_FACTOR * limits.maxPayloadBytes * 8) / 7)}), or the largest message could never be accepted`,
              })
            : limits,
      ),
      l,
    ),
    journal: withDefault(
      object({
        maxBytes: limit(1024, 2 ** 40, d.journal.maxBytes),
        keepFiles: limit(0, 1000, d.journal.keepFiles),
        syncBeforeReply: withDefault(boolean(), d.journal.syncBeforeReply),
        retentionDays: limit(1, 100 * 365, d.journal.retentionDays),
        maxRecordBytes: limit(4096, 16 * 1024 * 1024, d.journal.maxRecordBytes),
        failuresPerMinute: limit(1, 10_000, d.journal.failuresPerMinute),
      }),
      d.journal,
    ),
    consent: withDefault(
      object({
        maxPendingPerOrigin: limit(1, 1000, d.consent.maxPendingPerOrigin),
        dismissalsBeforeRefusal: limit(1, 100, d.consent.dismissalsBeforeRefusal),
        dismissalWindowMs: limit(1000, 24 * 3600 * 1000, d.consent.dismissalWindowMs),
        refusalMemoryMs: limit(1000, 24 * 3600 * 1000, d.consent.refusalMemoryMs),
      }),
      d.consent,
    ),
    trust: withDefault(object({ anchors: filePaths, intermediates: filePaths }), d.trust),
    revocation: withDefault(
      object({
        policy: withDefault(oneOf(['refuse', 'warn'] as const), d.revocation.policy),
        timeoutMs: limit(100, 600_000, d.revocation.timeoutMs),
        urlRewrites: withDefault(record(httpUrl, { key: httpUrl }), {}),
      }),
      d.revocation,
    ),
    timestamp: withDefault(
      object({
        urls: withDefault(
          array(httpUrl, {
            expected: { vi: 'một danh sách URL http(s)', en: 'a list of http(s) URLs' },
          }),
          [],
        ),
        timeoutMs: limit(1000, 3_600_000, d.timestamp.timeoutMs),
        tries: limit(1, 10, d.timestamp.tries),
        maxConcurrent: limit(1, 64, d.timestamp.maxConcurrent),
      }),
      d.timestamp,
    ),
  },
  // Editors add "$schema" for completion; it means nothing to the agent.
  { ignore: ['$schema'] },
);

function read(json: unknown, positions: Positions | undefined, file?: string): AgentConfig {
  const result = validate(configSchema, json, positions ? { positions } : {});
  if (result.ok) return result.value;
  throw new ValidationError('CONFIG_INVALID', result.problems, file === undefined ? {} : { file });
}

/**
 * Validates parsed JSON into a full config (defaults filled in). Throws CONFIG_INVALID
 * listing every problem (details.field is the first; the error's `problems` has them all).
 */
export function parseConfig(json: unknown): AgentConfig {
  return read(json, undefined);
}

/**
 * Reads a config file; a missing file means defaults, a broken one throws CONFIG_INVALID with
 * the line and column of each problem. Trust file paths are relative to the config file's
 * folder, and each must hold certificates.
 */
export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(defaultConfig);
    throw new KysoError('CONFIG_INVALID', { field: '(file)', file, problem: String(error) });
  }
  const parsed = parseJsonDocument(text, 'CONFIG_INVALID', { file }, '(json)');
  const config = read(parsed.value, parsed.positions, file);
  const base = dirname(resolve(file));
  config.trust = {
    anchors: config.trust.anchors.map((p) => resolve(base, p)),
    intermediates: config.trust.intermediates.map((p) => resolve(base, p)),
  };
  loadTrust(config.trust); // a missing or broken PEM fails now, not at the first verification
  return config;
}

export interface TrustMaterial {
  /** DER certificates. */
  anchors: Buffer[];
  intermediates: Buffer[];
}

/** Reads the trust files (PEM bundles or DER); CONFIG_INVALID names the field and the path. */
export function loadTrust(trust: TrustSettings): TrustMaterial {
  const read = (field: 'anchors' | 'intermediates'): Buffer[] =>
    trust[field].flatMap((path, i) => {
      const where = `trust.${field}[${i}]`;
      let data: Buffer;
      try {
        data = readFileSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new KysoError('CONFIG_INVALID', {
          field: where,
          path,
          problem: `unreadable (${code})`,
        });
      }
      const certificates = loadCertificates(data);
      for (const der of certificates) {
        try {
          new X509Certificate(der);
        } catch {
          throw new KysoError('CONFIG_INVALID', {
            field: where,
            path,
            problem: 'not a PEM or DER X.509 certificate',
          });
        }
      }
      return certificates;
    });
  return { anchors: read('anchors'), intermediates: read('intermediates') };
}
