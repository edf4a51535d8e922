/**
 * Kyso browser SDK: talk to the local Kyso Agent from a web document system.
 * Dependency-free ES module (bundled to demo/kyso-client.js by demo/build-client.ts), carrying
 * agent/protocol: the same method types and error messages as the agent.
 *
 *   import { KysoClient } from './kyso-client.js';
 *   const kyso = new KysoClient();               // ws://127.0.0.1:51987
 *   const certs = await kyso.listCertificates({ validNow: true, keyUsage: ['nonRepudiation'] });
 *   const { signature } = await kyso.signHash({ certificateId: certs[0].id,
 *     hashAlgorithm: 'SHA-256', hash: base64Digest, documentName: 'Quyết định 12.pdf' });
 *
 *   const signed = await kyso.signPdf({ certificateId, pdf: base64Pdf, preset: 'approval',
 *     image: signaturePng, placement: { anchor: 'Nguyễn Văn Ánh' } });
 *   signed.warnings;                             // always an array (empty: nothing to say)
 *   await kyso.signPdfs(batch, { onProgress: ({ done, total }) => show(done, total) });
 *   const report = await kyso.verifyPdf({ pdf: signed.pdf });
 *
 * Every failure is a KysoClientError with a stable `code` (KysoErrorCode) and Vietnamese and
 * English text for the user. Before anything is signed, connect() tells apart:
 * - AGENT_NOT_RUNNING: nothing answers on the agent's port;
 * - PORT_IN_USE_BY_OTHER_PROGRAM: something answers there, but it is not Kyso Agent;
 * - ORIGIN_NOT_ALLOWED: Kyso refused this website (details.retryAfterSeconds when the agent
 *   remembers a refusal and will ask again after it);
 * - LOCAL_NETWORK_ACCESS_BLOCKED: the browser keeps the page from the loopback address;
 * - AGENT_UPDATE_REQUIRED / PAGE_UPDATE_REQUIRED: the version handshake (agent.info) found a
 *   protocol the other side does not speak; the code names the side that must update.
 */

import {
  catalog,
  CLOSE_IDLE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  isErrorCode,
  METHOD_NAMES,
  PROTOCOL_VERSION,
  protocolMajor,
  type AgentInfo,
  type CertificateFilter,
  type CertificateInfo,
  type ClientErrorCode,
  type ErrorCode,
  type LocalisedText,
  type MethodName,
  type MethodParams,
  type MethodResult,
  type SignHashesParams,
  type SignHashesResult,
  type SignHashParams,
  type SignHashResult,
  type SignPdfParams,
  type SignPdfResult,
  type SignPdfsItem,
  type SignPdfsItemResult,
  type SignPdfsParams,
  type SignPdfsProgressNotice,
  type SignPdfsResult,
  type TokenInfo,
  type TokensChanged,
  type VerifyPdfParams,
  type VerifyPdfResult,
} from '../protocol/index.ts';

import {
  byteLength,
  downloadDocuments,
  isPdfInput,
  limitsOf,
  uploadDocument,
  uploadDocuments,
  type BinaryTransport,
  type PdfInput,
  type TransferOptions,
} from './documents.ts';
import { readDownloadFrame, uploadChunkFrame } from './binary.ts';
import { closeError } from './close-codes.ts';

export type { PdfInput, TransferOptions, TransferProgress } from './documents.ts';
/** Base64 of bytes of any size (native, Node Buffer or by table; never a spread into btoa). */
export { toBase64 } from './documents.ts';

/** sign.pdf with the PDF as bytes: uploaded in chunks, the signed copy returned as bytes. */
export type SignPdfBytesParams = Omit<SignPdfParams, 'pdf' | 'documentId'> & { pdf: PdfInput };
export type SignPdfBytesResult = Omit<SignPdfResult, 'pdf' | 'documentId' | 'size' | 'warnings'> & {
  pdf: Uint8Array;
};
export type SignPdfsBytesParams = Omit<SignPdfsParams, 'items'> & {
  items: (Omit<SignPdfsItem, 'pdf' | 'documentId'> & { pdf: PdfInput })[];
};
export type SignPdfsBytesItemResult =
  | { name: string; ok: true; pdf: Uint8Array; fieldName: string }
  | Extract<SignPdfsItemResult, { ok: false }>;
export type SignPdfsBytesResult = Omit<SignPdfsResult, 'items'> & {
  items: SignPdfsBytesItemResult[];
};
export type VerifyPdfBytesParams = Omit<VerifyPdfParams, 'pdf' | 'documentId'> & { pdf: PdfInput };

// The protocol (method types, wire views, error catalog, version) is part of the SDK, so a
// page and the agent share the same types and the same words for every code.
export * from '../protocol/index.ts';

export const DEFAULT_AGENT_URL = 'ws://127.0.0.1:51987';

/**
 * Every code a KysoClientError may carry, with its vi/en text in `catalog`: the agent's codes
 * and the SDK's own (CLIENT_ERROR_CODES). A newer agent may send a code this SDK does not
 * know yet; `code` is then that string and `messages` the agent's own text.
 */
export type KysoErrorCode = ErrorCode;

/** The vi/en text of every code, for pages that show their own error box. */
export function messageFor(code: KysoErrorCode): LocalisedText {
  return catalog[code];
}

/** Something the agent did that the user should know, though the operation succeeded. */
export interface ResultWarning {
  code: string;
  message: LocalisedText;
  details: Record<string, unknown>;
}

/** Results as the SDK returns them: `warnings` is always there (empty: nothing to say). */
export type WithWarnings<T> = T & { warnings: ResultWarning[] };

export type SignPdfsItemOutcome = WithWarnings<SignPdfsItemResult>;

export interface SignPdfsOutcome extends Omit<SignPdfsResult, 'items'> {
  items: SignPdfsItemOutcome[];
  warnings: ResultWarning[];
}

/** What onProgress gets: `done` of `total` documents are finished (signed or failed). */
export interface SignPdfsProgress {
  /** Documents given as bytes: upload and download bytes, then documents signed. */
  phase?: 'upload' | 'sign' | 'download';
  /** The document just signed (bytes transfers, sign phase). */
  name?: string;
  done: number;
  total: number;
  /** The document just finished; absent for the first call (request sent, waiting). */
  item?: SignPdfsItemOutcome;
}

export interface SignPdfsOptions {
  /**
   * Called once when the batch is sent (done 0), then once per document in order. The agent
   * (protocol 1.0) answers a batch in one reply after the user's one approval, so today the
   * per-document calls come together when that reply arrives; a page written against this
   * option keeps working when the agent starts reporting each document as it is signed.
   */
  onProgress?: (progress: SignPdfsProgress) => void;
}

function localised(value: unknown, fallback: string): LocalisedText {
  if (typeof value === 'object' && value !== null) {
    const { vi, en } = value as { vi?: unknown; en?: unknown };
    if (typeof vi === 'string' && typeof en === 'string') return { vi, en };
  }
  if (typeof value === 'string') return { vi: value, en: value };
  return isErrorCode(fallback) ? catalog[fallback] : { vi: fallback, en: fallback };
}

/** The `warnings` of a result in one shape, whatever the agent sent (strings or objects). */
export function warningsOf(result: unknown): ResultWarning[] {
  const raw = (result as { warnings?: unknown } | null)?.warnings;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((w: unknown): ResultWarning[] => {
    if (typeof w === 'string') return [{ code: w, message: localised(undefined, w), details: {} }];
    if (typeof w !== 'object' || w === null) return [];
    const { code, message, details } = w as {
      code?: unknown;
      message?: unknown;
      details?: unknown;
    };
    const name = typeof code === 'string' ? code : 'WARNING';
    return [
      {
        code: name,
        message: localised(message, name),
        details:
          typeof details === 'object' && details !== null
            ? (details as Record<string, unknown>)
            : {},
      },
    ];
  });
}

function withWarnings<T extends object>(result: T): WithWarnings<T> {
  return { ...result, warnings: warningsOf(result) };
}

export class KysoClientError extends Error {
  /**
   * Stable code: one of ClientErrorCode or the agent's error.data.reason (an ErrorCode, or a
   * newer code from a newer agent).
   */
  readonly code: string;
  /** User-facing text, Vietnamese first. */
  readonly messages: LocalisedText;
  /** JSON-RPC error code when the agent answered with an error. */
  readonly rpcCode: number | undefined;
  /** The failing parameter for -32602 errors. */
  readonly field: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    messages: LocalisedText,
    extra: {
      rpcCode?: number;
      field?: string;
      details?: Record<string, unknown>;
      message?: string;
    } = {},
  ) {
    super(extra.message ?? `${code}: ${messages.en}`);
    this.name = 'KysoClientError';
    this.code = code;
    this.messages = messages;
    this.rpcCode = extra.rpcCode;
    this.field = extra.field;
    this.details = extra.details ?? {};
  }
}

function clientError(
  code: ClientErrorCode,
  details: Record<string, unknown> = {},
): KysoClientError {
  return new KysoClientError(code, catalog[code], { details });
}

function errorText(code: string): LocalisedText {
  return isErrorCode(code) ? catalog[code] : catalog.INTERNAL_ERROR;
}

function foreignProgram(details: Record<string, unknown>): KysoClientError {
  return clientError('PORT_IN_USE_BY_OTHER_PROGRAM', details);
}

function isAgentInfo(value: unknown): value is AgentInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { agent?: unknown; protocolVersion?: unknown; version?: unknown };
  return (
    v.agent === 'Kyso Agent' &&
    typeof v.protocolVersion === 'string' &&
    typeof v.version === 'string'
  );
}

/** The subset of the browser WebSocket the SDK uses (the `ws` package fits too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  /** Browsers deliver binary frames as Blob unless set to 'arraybuffer' (the SDK sets it). */
  binaryType?: string;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface KysoClientOptions {
  /** Agent URL; default ws://127.0.0.1:51987. */
  url?: string;
  /** Longest wait for an answer (ms). Signing waits for the user: default 5 minutes. */
  timeoutMs?: number;
  /** Longest wait for the connection (ms), default 5000. */
  connectTimeoutMs?: number;
  /** Reconnect after a lost connection while someone listens for tokens.changed (default true). */
  reconnect?: boolean;
  /** Shown in agent.info logs. */
  clientName?: string;
  /** Creates the socket (tests in Node pass the `ws` package here). */
  createSocket?: (url: string) => WebSocketLike;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: KysoClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/** "http://127.0.0.1:51987/health" for "ws://127.0.0.1:51987". */
export function healthUrl(agentUrl: string): string {
  const url = new URL(agentUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/health';
  return url.toString();
}

interface PermissionsLike {
  query(descriptor: { name: string }): Promise<{ state: string }>;
}

/**
 * The browser's local network access permission state: 'granted', 'denied', 'prompt', or
 * undefined when the browser has no such permission (no local network access checks).
 */
async function localNetworkPermission(): Promise<string | undefined> {
  const nav = (globalThis as { navigator?: { permissions?: PermissionsLike } }).navigator;
  if (!nav?.permissions) return undefined;
  for (const name of ['local-network-access', 'loopback-network', 'local-network']) {
    try {
      return (await nav.permissions.query({ name })).state;
    } catch {
      // Not a known permission in this browser.
    }
  }
  return undefined;
}

/** The page's own origin and host, when the SDK runs in a page. */
function pageLocation(): { origin: string; hostname: string } | undefined {
  const location = (globalThis as { location?: { origin?: unknown; hostname?: unknown } }).location;
  if (typeof location?.origin !== 'string' || typeof location.hostname !== 'string') return;
  return { origin: location.origin, hostname: location.hostname };
}

const LOOPBACK_NAMES = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$|\.localhost$/i;

export type ConnectionDiagnosis =
  | 'AGENT_NOT_RUNNING'
  | 'PORT_IN_USE_BY_OTHER_PROGRAM'
  | 'LOCAL_NETWORK_ACCESS_BLOCKED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'CONNECTION_LOST';

export interface ConnectionFailure {
  code: ConnectionDiagnosis | ErrorCode;
  /** The agent's own text (an HTTP refusal body), when it sent one. */
  messages?: LocalisedText;
  details: Record<string, unknown>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Reads a /health answer the page may read (CORS): Kyso's health, a refusal, or other. */
async function readHealth(
  response: Response,
): Promise<
  { kind: 'kyso'; ready: boolean } | { kind: 'refusal'; body: RefusalBody } | { kind: 'other' }
> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    return { kind: 'other' };
  }
  if (typeof body !== 'object' || body === null) return { kind: 'other' };
  const b = body as { agent?: unknown; ready?: unknown; reason?: unknown };
  if (b.agent === 'Kyso Agent') return { kind: 'kyso', ready: b.ready !== false };
  if (!response.ok && isErrorCode(b.reason)) return { kind: 'refusal', body: body as RefusalBody };
  return { kind: 'other' };
}

/** An HTTP refusal of the agent: `{ reason, message: { vi, en }, details? }`. */
interface RefusalBody {
  reason: ErrorCode;
  message?: unknown;
  details?: Record<string, unknown>;
}

/**
 * Why the socket to the agent could not be opened, asked of `GET /health` on the same port:
 * 1. the browser says the local network permission is denied: LOCAL_NETWORK_ACCESS_BLOCKED;
 * 2. a CORS fetch the page may read: Kyso's health (running, so something else broke the
 *    socket: CONNECTION_LOST), Kyso's refusal body (ORIGIN_NOT_ALLOWED with retryAfterSeconds,
 *    or the code it names), or anything else: PORT_IN_USE_BY_OTHER_PROGRAM;
 * 3. an opaque (no-cors) answer: something listens and the browser lets the page reach it,
 *    but it neither took the WebSocket nor spoke Kyso's /health: PORT_IN_USE_BY_OTHER_PROGRAM;
 * 4. no answer at all: nothing listens, or the browser blocked the request. A browser blocks
 *    loopback only for pages outside loopback (local network access checks), and says so
 *    only as "denied"; a failed request looks the same either way. So: a page on a loopback
 *    host, a browser without the permission, or the permission granted: AGENT_NOT_RUNNING;
 *    otherwise (a page on the network, permission not granted): LOCAL_NETWORK_ACCESS_BLOCKED,
 *    with details.agentMayNotRun, because allowing the permission is the user's next step
 *    either way, and after that a failure says AGENT_NOT_RUNNING.
 */
export async function diagnoseConnection(
  agentUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<ConnectionFailure> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const permission = await localNetworkPermission();
  if (permission === 'denied')
    return { code: 'LOCAL_NETWORK_ACCESS_BLOCKED', details: { permission } };
  const page = pageLocation();
  if (page?.origin === 'null') return { code: 'ORIGIN_NOT_ALLOWED', details: { origin: 'null' } };
  const url = healthUrl(agentUrl);
  try {
    const response = await withTimeout(
      fetch(url, { mode: 'cors', cache: 'no-store', credentials: 'omit' }),
      timeoutMs,
    );
    const health = await readHealth(response);
    if (health.kind === 'kyso')
      return { code: 'CONNECTION_LOST', details: { health: 'ok', ready: health.ready } };
    if (health.kind === 'refusal') {
      return {
        code: health.body.reason,
        messages: localised(health.body.message, health.body.reason),
        details: { status: response.status, ...(health.body.details ?? {}) },
      };
    }
    return { code: 'PORT_IN_USE_BY_OTHER_PROGRAM', details: { status: response.status } };
  } catch {
    // Not readable (no CORS for this page), or no answer: ask without CORS.
  }
  try {
    await withTimeout(
      fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' }),
      timeoutMs,
    );
    return { code: 'PORT_IN_USE_BY_OTHER_PROGRAM', details: { health: 'opaque' } };
  } catch {
    // Nothing answered, or the browser blocked it.
  }
  const onLoopback = page ? LOOPBACK_NAMES.test(page.hostname) : true;
  if (onLoopback || permission === undefined || permission === 'granted')
    return { code: 'AGENT_NOT_RUNNING', details: permission ? { permission } : {} };
  return { code: 'LOCAL_NETWORK_ACCESS_BLOCKED', details: { permission, agentMayNotRun: true } };
}

/** The side that must update when the page's SDK and the agent speak different majors. */
function versionError(
  agentProtocolVersion: string,
  details: Record<string, unknown>,
  side?: 'agent' | 'page',
): KysoClientError {
  const agentMajor = protocolMajor(agentProtocolVersion) ?? 0;
  const ours = protocolMajor(PROTOCOL_VERSION) ?? 0;
  const agentOlder = side ? side === 'agent' : agentMajor < ours;
  const code = agentOlder ? 'AGENT_UPDATE_REQUIRED' : 'PAGE_UPDATE_REQUIRED';
  return clientError(code, {
    ...details,
    side: code === 'AGENT_UPDATE_REQUIRED' ? 'agent' : 'page',
    agentProtocolVersion,
    sdkProtocolVersion: PROTOCOL_VERSION,
  });
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHOD_NAMES);

export class KysoClient {
  readonly url: string;
  private readonly options: KysoClientOptions;
  private socket: WebSocketLike | null = null;
  private connecting: Promise<AgentInfo> | null = null;
  private agentInfo: AgentInfo | null = null;
  private readonly pending = new Map<number, Pending>();
  /** Download data frames by the id of the document.download request they answer. */
  private readonly dataListeners = new Map<
    number,
    (documentId: string, offset: number, bytes: Uint8Array) => void
  >();
  private readonly listeners = new Set<(change: TokensChanged) => void>();
  private readonly progressListeners = new Map<
    string,
    (progress: SignPdfsProgressNotice) => void
  >();
  private nextBatch = 1;
  private nextId = 1;
  /** The id of the agent.info request of the handshake in progress. */
  private handshakeId: number | null = null;
  private closedByUser = false;
  private reconnectDelay = 1000;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: KysoClientOptions = {}) {
    this.options = options;
    this.url = options.url ?? DEFAULT_AGENT_URL;
  }

  /** Connects and performs the version handshake; resolves with the agent's info. */
  connect(): Promise<AgentInfo> {
    this.closedByUser = false;
    if (this.socket?.readyState === OPEN && this.agentInfo) return Promise.resolve(this.agentInfo);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  get info(): AgentInfo | null {
    return this.agentInfo;
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call('tokens.list')).tokens;
  }

  async listCertificates(filter: CertificateFilter = {}): Promise<CertificateInfo[]> {
    return (await this.call('certificates.list', filter)).certificates;
  }

  signHash(params: SignHashParams): Promise<SignHashResult> {
    return this.call('sign.hash', params);
  }

  signHashes(params: SignHashesParams): Promise<SignHashesResult> {
    return this.call('sign.hashes', params);
  }

  /**
   * Signs a PDF (PAdES, Decree 30 appearance); `warnings` says what the agent adjusted. Given as
   * bytes (Blob, ArrayBuffer, Uint8Array) it is uploaded in chunks and the signed copy comes
   * back as a Uint8Array, whatever its size up to the agent's limits.maxDocumentBytes (bigger:
   * DOCUMENT_TOO_LARGE before anything is sent). Given as a base64 string it is sent inline,
   * as in protocol 1.0 (small documents only).
   */
  signPdf(params: SignPdfParams): Promise<WithWarnings<SignPdfResult>>;
  signPdf(
    params: SignPdfBytesParams,
    options?: TransferOptions,
  ): Promise<WithWarnings<SignPdfBytesResult>>;
  async signPdf(
    params: SignPdfParams | SignPdfBytesParams,
    options: TransferOptions = {},
  ): Promise<WithWarnings<SignPdfResult> | WithWarnings<SignPdfBytesResult>> {
    if (!isPdfInput(params.pdf)) {
      return withWarnings(await this.call('sign.pdf', params as SignPdfParams));
    }
    const { pdf, ...rest } = params as SignPdfBytesParams;
    const { documentId } = await this.upload([pdf], options);
    try {
      options.onProgress?.({ phase: 'sign', done: 0, total: 1 });
      const result = await this.callPaced('sign.pdf', { ...rest, documentId: documentId[0] });
      const signed = result as SignPdfResult;
      options.onProgress?.({ phase: 'sign', done: 1, total: 1 });
      const [bytes] = await downloadDocuments(
        this.pacedCaller(),
        [{ documentId: signed.documentId ?? '', size: signed.size ?? 0 }],
        { ...options, replyBytes: limitsOf(this.agentInfo).downloadBytes },
        this.binaryTransport(),
      );
      return {
        pdf: bytes ?? new Uint8Array(0),
        fieldName: signed.fieldName,
        certificateId: signed.certificateId,
        certificate: signed.certificate,
        level: signed.level,
        warnings: warningsOf(signed),
      };
    } finally {
      await this.release(documentId);
    }
  }

  /**
   * Signs several PDFs with one approval and one PIN; a document that cannot be signed fails
   * alone (its item has ok: false and the error). Items given as bytes are uploaded in chunks
   * (a few at once), signed by id, and read back; `options.onProgress` sees upload bytes, each
   * signed document (sign.pdfs.progress) and download bytes. Inline (base64) items: see
   * SignPdfsOptions.onProgress.
   */
  signPdfs(params: SignPdfsParams, options?: SignPdfsOptions): Promise<SignPdfsOutcome>;
  signPdfs(
    params: SignPdfsBytesParams,
    options?: SignPdfsOptions & TransferOptions,
  ): Promise<WithWarnings<SignPdfsBytesResult>>;
  async signPdfs(
    params: SignPdfsParams | SignPdfsBytesParams,
    options: SignPdfsOptions & TransferOptions = {},
  ): Promise<SignPdfsOutcome | WithWarnings<SignPdfsBytesResult>> {
    if (!params.items.some((item) => isPdfInput(item.pdf))) {
      const total = params.items.length;
      const progress = options.onProgress;
      progress?.({ done: 0, total });
      const result = await this.call('sign.pdfs', params as SignPdfsParams);
      const items = result.items.map((item) => withWarnings(item));
      items.forEach((item, index) => progress?.({ done: index + 1, total, item }));
      return { ...result, items, warnings: warningsOf(result) };
    }
    const { items, ...rest } = params as SignPdfsBytesParams;
    const { documentId: ids } = await this.upload(
      items.map((item) => item.pdf),
      options,
    );
    const batchId = `kyso-${Date.now()}-${this.nextBatch++}`;
    this.progressListeners.set(batchId, (p) =>
      options.onProgress?.({ phase: 'sign', done: p.done, total: p.total, name: p.name }),
    );
    try {
      const result = (await this.callPaced('sign.pdfs', {
        ...rest,
        batchId,
        items: items.map(({ pdf: _pdf, ...item }, i) => ({ ...item, documentId: ids[i] })),
      })) as SignPdfsResult;
      const stored = result.items.flatMap((item, i) =>
        item.ok && item.documentId !== undefined
          ? [{ i, documentId: item.documentId, size: item.size ?? 0 }]
          : [],
      );
      const bytes = await downloadDocuments(
        this.pacedCaller(),
        stored,
        { ...options, replyBytes: limitsOf(this.agentInfo).downloadBytes },
        this.binaryTransport(),
      );
      const byIndex = new Map(stored.map((s, k) => [s.i, bytes[k] ?? new Uint8Array(0)]));
      return {
        certificateId: result.certificateId,
        certificate: result.certificate,
        ...(result.batchId !== undefined ? { batchId: result.batchId } : {}),
        items: result.items.map((item, i) =>
          item.ok
            ? {
                name: item.name,
                ok: true as const,
                pdf: byIndex.get(i) ?? new Uint8Array(0),
                fieldName: item.fieldName,
              }
            : item,
        ),
        warnings: warningsOf(result),
      };
    } finally {
      this.progressListeners.delete(batchId);
      await this.release(ids);
    }
  }

  /** Checks every signature of a PDF (base64 inline, or bytes uploaded in chunks). */
  async verifyPdf(
    params: VerifyPdfParams | VerifyPdfBytesParams,
  ): Promise<WithWarnings<VerifyPdfResult>> {
    if (!isPdfInput(params.pdf)) {
      return withWarnings(await this.call('verify.pdf', params as VerifyPdfParams));
    }
    const { pdf, ...rest } = params as VerifyPdfBytesParams;
    const { documentId } = await this.upload([pdf], {});
    try {
      return withWarnings(
        (await this.callPaced('verify.pdf', {
          ...rest,
          documentId: documentId[0],
        })) as VerifyPdfResult,
      );
    } finally {
      await this.release(documentId);
    }
  }

  /**
   * Uploads documents (DOCUMENT_TOO_LARGE, before sending anything, for one over the agent's
   * limit) and returns their ids.
   */
  private async upload(
    inputs: PdfInput[],
    options: TransferOptions,
  ): Promise<{ documentId: string[] }> {
    const info = await this.connect();
    const limits = limitsOf(info);
    if (!info.methods.includes('document.upload.begin')) {
      throw new KysoClientError(
        'PROTOCOL_VERSION_UNSUPPORTED',
        catalog.PROTOCOL_VERSION_UNSUPPORTED,
        {
          details: {
            reason: 'this agent cannot take documents as bytes; send base64',
            method: 'document.upload.begin',
          },
        },
      );
    }
    const max = limits.maxDocumentBytes;
    for (const [index, input] of inputs.entries()) {
      const size = byteLength(input);
      if (max !== undefined && size > max) {
        throw new KysoClientError('DOCUMENT_TOO_LARGE', catalog.DOCUMENT_TOO_LARGE, {
          details: { size, maxDocumentBytes: max, index },
        });
      }
    }
    const call = this.pacedCaller();
    const binary = this.binaryTransport();
    let uploaded = 0;
    const ids =
      inputs.length === 1
        ? [
            await uploadDocument(
              call,
              inputs[0] as PdfInput,
              limits.chunkBytes,
              (n) => {
                uploaded += n;
                options.onProgress?.({
                  phase: 'upload',
                  done: uploaded,
                  total: byteLength(inputs[0] as PdfInput),
                });
              },
              binary,
            ),
          ]
        : await uploadDocuments(call, inputs, limits.chunkBytes, options, binary);
    return { documentId: ids };
  }

  private async release(ids: (string | undefined)[]): Promise<void> {
    const documentIds = ids.filter((id): id is string => id !== undefined);
    if (documentIds.length === 0 || this.socket === null) return;
    await this.callPaced('document.release', { documentIds }).catch(() => undefined);
  }

  private pacedCaller(): (method: string, params: object) => Promise<unknown> {
    return (method, params) => this.callPaced(method, params);
  }

  /** Binary document frames when the agent takes them (limits.binaryFrames), else undefined. */
  private binaryTransport(): BinaryTransport | undefined {
    if (this.agentInfo?.limits?.binaryFrames !== true) return undefined;
    return {
      uploadChunk: (documentId, offset, bytes) =>
        this.paced(() =>
          this.sendFrame('document.upload.chunk', (id) =>
            uploadChunkFrame(id, documentId, offset, bytes),
          ),
        ),
      download: (params, onData) =>
        this.paced(() => this.send('document.download', params, undefined, onData)),
    };
  }

  /** A call that waits and retries when the agent answers RATE_LIMITED (long transfers). */
  private callPaced(method: string, params: object): Promise<unknown> {
    return this.paced(() => this.call(method, params));
  }

  private async paced(attemptCall: () => Promise<unknown>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await attemptCall();
      } catch (error) {
        if (!(error instanceof KysoClientError) || error.code !== 'RATE_LIMITED' || attempt >= 50) {
          throw error;
        }
        const perSecond = Number(error.details.perSecond);
        const wait = error.details.limit === 'rate' && perSecond > 0 ? 1000 / perSecond : 20;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, wait * (1 + attempt))));
      }
    }
  }

  /** Token inserted/removed; returns the unsubscribe function. Keeps the connection alive. */
  onTokensChanged(listener: (change: TokensChanged) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Any method: typed for the protocol's methods, untyped for methods newer than this SDK. */
  call<M extends MethodName>(method: M, params?: MethodParams<M>): Promise<MethodResult<M>>;
  call(method: string, params?: object): Promise<unknown>;
  async call(method: string, params?: object): Promise<unknown> {
    const info = await this.connect();
    // A method of this SDK's protocol that the agent does not offer: the agent is older.
    if (KNOWN_METHODS.has(method) && Array.isArray(info.methods) && !info.methods.includes(method))
      throw versionError(info.protocolVersion, { method, agentVersion: info.version }, 'agent');
    return this.send(method, params);
  }

  close(): void {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = null;
    this.agentInfo = null;
  }

  private send(
    method: string,
    params?: object,
    onId?: (id: number) => void,
    onData?: (documentId: string, offset: number, bytes: Uint8Array) => void,
  ): Promise<unknown> {
    return this.sendFrame(
      method,
      (id) => {
        onId?.(id);
        return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
      },
      onData,
    );
  }

  /** Sends the frame `build` makes for a fresh request id; resolves with that id's reply. */
  private sendFrame(
    method: string,
    build: (id: number) => string | Uint8Array,
    onData?: (documentId: string, offset: number, bytes: Uint8Array) => void,
  ): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(clientError('CONNECTION_LOST'));
    const id = this.nextId++;
    const frame = build(id);
    if (onData) this.dataListeners.set(id, onData);
    const settled = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(clientError('TIMEOUT', { method }));
      }, this.options.timeoutMs ?? 300_000);
      this.pending.set(id, { resolve, reject, timer });
      // A closing socket cannot send; its close event rejects this request with the reason
      // (4003: origin not allowed), which is more useful than a bare "connection lost".
      if (socket.readyState === OPEN) socket.send(frame);
    });
    if (!onData) return settled;
    return settled.finally(() => this.dataListeners.delete(id));
  }

  private createSocket(): WebSocketLike {
    if (this.options.createSocket) return this.options.createSocket(this.url);
    const Ctor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (!Ctor)
      throw clientError('AGENT_NOT_RUNNING', { reason: 'no WebSocket in this environment' });
    return new Ctor(this.url);
  }

  private async open(): Promise<AgentInfo> {
    const socket = this.createSocket();
    if ('binaryType' in socket) socket.binaryType = 'arraybuffer';
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: KysoClientError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.socket === socket) this.socket = null;
        reject(error);
      };
      const timer = setTimeout(() => {
        socket.close();
        fail(clientError('TIMEOUT', { step: 'connect' }));
      }, this.options.connectTimeoutMs ?? 5000);
      socket.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      socket.onclose = (event) => {
        if (event.code === CLOSE_ORIGIN_NOT_ALLOWED)
          return void this.originRefusal(clientError('ORIGIN_NOT_ALLOWED')).then(fail);
        void this.diagnose({ closeCode: event.code }).then(fail);
      };
      socket.onerror = () => undefined; // onclose follows with the code
    });
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => this.onClose(socket, event.code, event.reason);
    let info: AgentInfo;
    try {
      const answer = await this.send(
        'agent.info',
        {
          protocolVersion: PROTOCOL_VERSION,
          ...(this.options.clientName ? { client: this.options.clientName } : {}),
        },
        (id) => (this.handshakeId = id),
      );
      if (!isAgentInfo(answer)) throw foreignProgram({ step: 'agent.info', answer: typeof answer });
      info = answer;
      const major = protocolMajor(info.protocolVersion);
      if (major !== protocolMajor(PROTOCOL_VERSION))
        throw versionError(info.protocolVersion, { agentVersion: info.version });
    } catch (error) {
      socket.close();
      throw await this.handshakeFailure(error);
    } finally {
      this.handshakeId = null;
    }
    this.agentInfo = info;
    this.reconnectDelay = 1000;
    return info;
  }

  /** A KysoClientError for a socket that could not be opened, from GET /health. */
  private async diagnose(details: Record<string, unknown>): Promise<KysoClientError> {
    const failure = await diagnoseConnection(this.url);
    return new KysoClientError(failure.code, failure.messages ?? errorText(failure.code), {
      details: { ...details, ...failure.details },
    });
  }

  /**
   * An ORIGIN_NOT_ALLOWED with when to retry: the agent's close (4003) often comes before any
   * reply, and only its /health refusal says how long it remembers the refusal.
   */
  private async originRefusal(error: KysoClientError): Promise<KysoClientError> {
    if (typeof error.details.retryAfterSeconds === 'number') return error;
    const failure = await diagnoseConnection(this.url).catch(() => undefined);
    if (failure?.code !== 'ORIGIN_NOT_ALLOWED') return error;
    return new KysoClientError('ORIGIN_NOT_ALLOWED', failure.messages ?? error.messages, {
      details: { ...error.details, ...failure.details },
    });
  }

  /** The error to give for a failed agent.info: version sides, other programs, lost sockets. */
  private async handshakeFailure(error: unknown): Promise<KysoClientError> {
    if (!(error instanceof KysoClientError)) return clientError('CONNECTION_LOST');
    if (error.code === 'PROTOCOL_VERSION_UNSUPPORTED') {
      const agentProtocol = error.details.agentProtocolVersion;
      return versionError(typeof agentProtocol === 'string' ? agentProtocol : '0.0', {
        ...error.details,
      });
    }
    // An error reply without Kyso's data.reason did not come from Kyso.
    if (error.rpcCode !== undefined && error.details.kyso === false)
      return foreignProgram({ step: 'agent.info', rpcCode: error.rpcCode });
    if (error.code === 'ORIGIN_NOT_ALLOWED') return this.originRefusal(error);
    if (error.code === 'CONNECTION_LOST') {
      const diagnosis = await this.diagnose({ step: 'agent.info', ...error.details });
      return diagnosis.code === 'CONNECTION_LOST' ? error : diagnosis;
    }
    return error;
  }

  private onMessage(data: unknown): void {
    if (data instanceof ArrayBuffer || data instanceof Uint8Array) {
      // Binary: download data, ahead of its request's reply (anything else is not ours).
      const frame = readDownloadFrame(data);
      if (frame) this.dataListeners.get(frame.id)?.(frame.documentId, frame.offset, frame.bytes);
      return;
    }
    let message: {
      id?: number;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: {
        code: number;
        message: string;
        data?: {
          reason?: string;
          message?: LocalisedText;
          field?: string;
          details?: Record<string, unknown>;
        };
      };
    };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      message = {};
    }
    if (typeof message !== 'object' || message === null) message = {};
    const isReply =
      typeof message.id === 'number' &&
      message.method === undefined &&
      ('result' in message || 'error' in message);
    const isNotification = typeof message.method === 'string' && message.id === undefined;
    if (this.handshakeId !== null && !isReply && !isNotification) {
      // During the handshake only Kyso's reply may come: anything else (an echo, another
      // protocol's greeting, text) means another program took the port.
      const pending = this.pending.get(this.handshakeId);
      if (pending) {
        this.pending.delete(this.handshakeId);
        clearTimeout(pending.timer);
        pending.reject(foreignProgram({ step: 'agent.info', message: String(data).slice(0, 80) }));
      }
      return;
    }
    if (message.method === 'tokens.changed' && message.id === undefined) {
      for (const listener of this.listeners) listener(message.params as TokensChanged);
      return;
    }
    if (message.method === 'sign.pdfs.progress' && message.id === undefined) {
      const progress = message.params as SignPdfsProgressNotice;
      this.progressListeners.get(progress.batchId)?.(progress);
      return;
    }
    if (typeof message.id !== 'number') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) {
      const data = message.error.data ?? {};
      const reason = data.reason ?? 'INTERNAL_ERROR';
      // An agent always sends its message; the catalog covers a reply without one.
      const fallback = isErrorCode(reason)
        ? catalog[reason]
        : { vi: message.error.message, en: message.error.message };
      pending.reject(
        new KysoClientError(reason, data.message ?? fallback, {
          rpcCode: message.error.code,
          ...(data.field !== undefined ? { field: data.field } : {}),
          details: data.reason === undefined ? { kyso: false } : (data.details ?? {}),
          message: `${data.reason ?? 'ERROR'}: ${message.error.message}`,
        }),
      );
    } else pending.resolve(message.result);
  }

  private onClose(socket: WebSocketLike, code: number, reason = ''): void {
    if (this.socket === socket) {
      this.socket = null;
      this.agentInfo = null;
    }
    const mapped = closeError(code, reason);
    const error =
      code === CLOSE_ORIGIN_NOT_ALLOWED
        ? clientError('ORIGIN_NOT_ALLOWED')
        : mapped
          ? new KysoClientError(mapped.code, mapped.text, { details: mapped.details })
          : clientError('CONNECTION_LOST', { closeCode: code });
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    // Keep listening for token events across agent restarts, with backoff up to 30 s.
    if (
      this.closedByUser ||
      code === CLOSE_ORIGIN_NOT_ALLOWED ||
      this.options.reconnect === false ||
      this.listeners.size === 0
    )
      return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch(() => this.onClose(socket, code === CLOSE_IDLE ? 1006 : code));
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 30_000);
  }
}
