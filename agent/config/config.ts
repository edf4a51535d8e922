/**
 * The agent's config file: a small JSON document the administrator (or the tray) edits.
 * Every field is optional and validated; a bad file fails loudly with CONFIG_INVALID and the
 * failing field, never silently falls back to defaults.
 */
import { readFileSync } from 'node:fs';
import { currentConfigDir } from '../platform/index.ts';
import { dirname, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import { loadCertificates } from '../pki/index.ts';

/** Default port of the signing endpoint (ws://127.0.0.1:51987). No peer plugin uses it. */
export const DEFAULT_PORT = 51987;

export interface PinCachePolicy {
  /** Keep tokens logged in between signatures (off by default). */
  enabled: boolean;
  /** How long a PIN stays cached after it was entered (seconds). */
  ttlSeconds: number;
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
}

export interface TrustSettings {
  /** PEM (or DER) files of the roots the agency trusts: verification and doctor default to them. */
  anchors: string[];
  /** PEM files of CA certificates that complete paths (embedded when signing, used to verify). */
  intermediates: string[];
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
  trust: TrustSettings;
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
  },
  journal: { maxBytes: 10 * 1024 * 1024, keepFiles: 5, syncBeforeReply: true },
  trust: { anchors: [], intermediates: [] },
};

/** Directory for the config file, approved origins and the journal. KYSO_CONFIG_DIR overrides. */
export function defaultConfigDir(): string {
  return currentConfigDir();
}

function invalid(field: string, problem: string): KysoError {
  return new KysoError('CONFIG_INVALID', { field, problem });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function int(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(field, 'true or false');
  return value;
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw invalid(field, 'a list of strings');
  }
  return value;
}

function section(value: unknown, field: string): Json {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalid(field, 'an object');
  return value;
}

function rejectUnknown(object: Json, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw invalid(prefix + key, 'unknown setting');
  }
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

/** Validates parsed JSON into a full config (defaults filled in). */
export function parseConfig(json: unknown): AgentConfig {
  if (!isObject(json)) throw invalid('(root)', 'a JSON object');
  rejectUnknown(
    json,
    ['$schema', 'port', 'allowedOrigins', 'modules', 'pinCache', 'limits', 'journal', 'trust'],
    '',
  );
  const d = defaultConfig;
  const allowedOrigins = strings(json.allowedOrigins, 'allowedOrigins').map((origin, i) => {
    const normal = normaliseOrigin(origin);
    if (normal === null) throw invalid(`allowedOrigins[${i}]`, 'an http(s) origin');
    return normal;
  });
  const pinCache = section(json.pinCache, 'pinCache');
  rejectUnknown(pinCache, ['enabled', 'ttlSeconds'], 'pinCache.');
  const limits = section(json.limits, 'limits');
  rejectUnknown(limits, Object.keys(d.limits), 'limits.');
  const journal = section(json.journal, 'journal');
  rejectUnknown(journal, Object.keys(d.journal), 'journal.');
  const trust = section(json.trust, 'trust');
  rejectUnknown(trust, Object.keys(d.trust), 'trust.');
  const paths = (field: 'anchors' | 'intermediates'): string[] =>
    strings(trust[field], `trust.${field}`).map((path, i) => {
      if (path.trim().length === 0) throw invalid(`trust.${field}[${i}]`, 'a file path');
      return path;
    });
  const l = d.limits;
  return {
    port: int(json.port, 'port', 0, 65535, d.port),
    allowedOrigins,
    modules: strings(json.modules, 'modules'),
    pinCache: {
      enabled: bool(pinCache.enabled, 'pinCache.enabled', d.pinCache.enabled),
      ttlSeconds: int(
        pinCache.ttlSeconds,
        'pinCache.ttlSeconds',
        1,
        8 * 3600,
        d.pinCache.ttlSeconds,
      ),
    },
    limits: {
      maxPayloadBytes: int(
        limits.maxPayloadBytes,
        'limits.maxPayloadBytes',
        1024,
        512 * 1024 * 1024,
        l.maxPayloadBytes,
      ),
      maxInFlight: int(limits.maxInFlight, 'limits.maxInFlight', 1, 1024, l.maxInFlight),
      ratePerSecond: int(limits.ratePerSecond, 'limits.ratePerSecond', 1, 100_000, l.ratePerSecond),
      rateBurst: int(limits.rateBurst, 'limits.rateBurst', 1, 100_000, l.rateBurst),
      idleTimeoutMs: int(
        limits.idleTimeoutMs,
        'limits.idleTimeoutMs',
        1000,
        24 * 3600 * 1000,
        l.idleTimeoutMs,
      ),
      maxBatchItems: int(limits.maxBatchItems, 'limits.maxBatchItems', 1, 10_000, l.maxBatchItems),
      maxConnections: int(
        limits.maxConnections,
        'limits.maxConnections',
        1,
        10_000,
        l.maxConnections,
      ),
    },
    journal: {
      maxBytes: int(journal.maxBytes, 'journal.maxBytes', 1024, 2 ** 40, d.journal.maxBytes),
      keepFiles: int(journal.keepFiles, 'journal.keepFiles', 0, 1000, d.journal.keepFiles),
      syncBeforeReply: bool(
        journal.syncBeforeReply,
        'journal.syncBeforeReply',
        d.journal.syncBeforeReply,
      ),
    },
    trust: { anchors: paths('anchors'), intermediates: paths('intermediates') },
  };
}

/**
 * Reads a config file; a missing file means defaults, a broken one throws CONFIG_INVALID.
 * Trust file paths are relative to the config file's folder, and each must hold certificates.
 */
export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(defaultConfig);
    throw new KysoError('CONFIG_INVALID', { field: '(file)', file, problem: String(error) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KysoError('CONFIG_INVALID', {
      field: '(json)',
      file,
      problem: error instanceof Error ? error.message : String(error),
    });
  }
  const config = parseConfig(json);
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
