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
 * Every failure is a KysoClientError with a stable `code`; the three connection failures a
 * page must tell apart are AGENT_NOT_RUNNING, LOCAL_NETWORK_ACCESS_BLOCKED and
 * ORIGIN_NOT_ALLOWED, each with Vietnamese and English text for the user.
 */

import {
  catalog,
  CLOSE_IDLE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  isErrorCode,
  PROTOCOL_VERSION,
  type AgentInfo,
  type CertificateFilter,
  type CertificateInfo,
  type ClientErrorCode,
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
  type SignPdfsProgress,
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
  type PdfInput,
  type TransferOptions,
} from './documents.ts';

export type { PdfInput, TransferOptions, TransferProgress } from './documents.ts';

/** sign.pdf with the PDF as bytes: uploaded in chunks, the signed copy returned as bytes. */
export type SignPdfBytesParams = Omit<SignPdfParams, 'pdf' | 'documentId'> & { pdf: PdfInput };
export type SignPdfBytesResult = Omit<SignPdfResult, 'pdf' | 'documentId' | 'size'> & {
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

/** The subset of the browser WebSocket the SDK uses (the `ws` package fits too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
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

/** The browser's local network access permission state, when the browser has one. */
async function localNetworkPermission(): Promise<string | undefined> {
  const nav = (globalThis as { navigator?: { permissions?: PermissionsLike } }).navigator;
  if (!nav?.permissions) return undefined;
  for (const name of ['local-network-access', 'loopback-network']) {
    try {
      return (await nav.permissions.query({ name })).state;
    } catch {
      // Not a known permission in this browser.
    }
  }
  return undefined;
}

/**
 * Tells "not running" from "blocked": with the socket failed, a no-cors fetch of /health
 * still reaches a running agent (an opaque reply), and fails when nothing listens.
 */
export async function diagnoseConnection(
  agentUrl: string,
): Promise<'AGENT_NOT_RUNNING' | 'LOCAL_NETWORK_ACCESS_BLOCKED'> {
  if ((await localNetworkPermission()) === 'denied') return 'LOCAL_NETWORK_ACCESS_BLOCKED';
  try {
    await fetch(healthUrl(agentUrl), { mode: 'no-cors', cache: 'no-store' });
    return 'LOCAL_NETWORK_ACCESS_BLOCKED';
  } catch {
    return 'AGENT_NOT_RUNNING';
  }
}

export class KysoClient {
  readonly url: string;
  private readonly options: KysoClientOptions;
  private socket: WebSocketLike | null = null;
  private connecting: Promise<AgentInfo> | null = null;
  private agentInfo: AgentInfo | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(change: TokensChanged) => void>();
  private readonly progressListeners = new Map<string, (progress: SignPdfsProgress) => void>();
  private nextBatch = 1;
  private nextId = 1;
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
   * Signs a PDF. Given as bytes (Blob, ArrayBuffer, Uint8Array) it is uploaded in chunks and
   * the signed copy comes back as a Uint8Array, whatever its size up to the agent's
   * limits.maxDocumentBytes (bigger: DOCUMENT_TOO_LARGE before anything is sent). Given as a
   * base64 string it is sent inline, as in protocol 1.0 (small documents only).
   */
  signPdf(params: SignPdfParams): Promise<SignPdfResult>;
  signPdf(params: SignPdfBytesParams, options?: TransferOptions): Promise<SignPdfBytesResult>;
  async signPdf(
    params: SignPdfParams | SignPdfBytesParams,
    options: TransferOptions = {},
  ): Promise<SignPdfResult | SignPdfBytesResult> {
    if (!isPdfInput(params.pdf)) return this.call('sign.pdf', params as SignPdfParams);
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
        options,
      );
      return {
        pdf: bytes ?? new Uint8Array(0),
        fieldName: signed.fieldName,
        certificateId: signed.certificateId,
        certificate: signed.certificate,
      };
    } finally {
      await this.release(documentId);
    }
  }

  /**
   * Signs a batch with one approval and one PIN. Items given as bytes are uploaded in chunks
   * (a few at once), signed by id, and read back; `options.onProgress` sees upload bytes, each
   * signed document (sign.pdfs.progress) and download bytes.
   */
  signPdfs(params: SignPdfsParams): Promise<SignPdfsResult>;
  signPdfs(params: SignPdfsBytesParams, options?: TransferOptions): Promise<SignPdfsBytesResult>;
  async signPdfs(
    params: SignPdfsParams | SignPdfsBytesParams,
    options: TransferOptions = {},
  ): Promise<SignPdfsResult | SignPdfsBytesResult> {
    if (!params.items.some((item) => isPdfInput(item.pdf))) {
      return this.call('sign.pdfs', params as SignPdfsParams);
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
      const bytes = await downloadDocuments(this.pacedCaller(), stored, options);
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
      };
    } finally {
      this.progressListeners.delete(batchId);
      await this.release(ids);
    }
  }

  /** Verifies a PDF, given as base64 (inline) or as bytes (uploaded in chunks). */
  verifyPdf(params: VerifyPdfParams | VerifyPdfBytesParams): Promise<VerifyPdfResult>;
  async verifyPdf(params: VerifyPdfParams | VerifyPdfBytesParams): Promise<VerifyPdfResult> {
    if (!isPdfInput(params.pdf)) return this.call('verify.pdf', params as VerifyPdfParams);
    const { pdf, ...rest } = params as VerifyPdfBytesParams;
    const { documentId } = await this.upload([pdf], {});
    try {
      return (await this.callPaced('verify.pdf', {
        ...rest,
        documentId: documentId[0],
      })) as VerifyPdfResult;
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
    let uploaded = 0;
    const ids =
      inputs.length === 1
        ? [
            await uploadDocument(call, inputs[0] as PdfInput, limits.chunkBytes, (n) => {
              uploaded += n;
              options.onProgress?.({
                phase: 'upload',
                done: uploaded,
                total: byteLength(inputs[0] as PdfInput),
              });
            }),
          ]
        : await uploadDocuments(call, inputs, limits.chunkBytes, options);
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

  /** A call that waits and retries when the agent answers RATE_LIMITED (long transfers). */
  private async callPaced(method: string, params: object): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call(method, params);
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
    await this.connect();
    return this.send(method, params);
  }

  close(): void {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = null;
    this.agentInfo = null;
  }

  private send(method: string, params?: object): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(clientError('CONNECTION_LOST'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(clientError('TIMEOUT', { method }));
      }, this.options.timeoutMs ?? 300_000);
      this.pending.set(id, { resolve, reject, timer });
      // A closing socket cannot send; its close event rejects this request with the reason
      // (4003: origin not allowed), which is more useful than a bare "connection lost".
      if (socket.readyState === OPEN) {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }));
      }
    });
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
        if (event.code === CLOSE_ORIGIN_NOT_ALLOWED) return fail(clientError('ORIGIN_NOT_ALLOWED'));
        void diagnoseConnection(this.url).then((code) =>
          fail(clientError(code, { closeCode: event.code })),
        );
      };
      socket.onerror = () => undefined; // onclose follows with the code
    });
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => this.onClose(socket, event.code);
    let info: AgentInfo;
    try {
      info = (await this.send('agent.info', {
        protocolVersion: PROTOCOL_VERSION,
        ...(this.options.clientName ? { client: this.options.clientName } : {}),
      })) as AgentInfo;
    } catch (error) {
      socket.close();
      throw error;
    }
    this.agentInfo = info;
    this.reconnectDelay = 1000;
    return info;
  }

  private onMessage(data: unknown): void {
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
      return;
    }
    if (message.method === 'tokens.changed' && message.id === undefined) {
      for (const listener of this.listeners) listener(message.params as TokensChanged);
      return;
    }
    if (message.method === 'sign.pdfs.progress' && message.id === undefined) {
      const progress = message.params as SignPdfsProgress;
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
          ...(data.details ? { details: data.details } : {}),
          message: `${data.reason ?? 'ERROR'}: ${message.error.message}`,
        }),
      );
    } else pending.resolve(message.result);
  }

  private onClose(socket: WebSocketLike, code: number): void {
    if (this.socket === socket) {
      this.socket = null;
      this.agentInfo = null;
    }
    const error =
      code === CLOSE_ORIGIN_NOT_ALLOWED
        ? clientError('ORIGIN_NOT_ALLOWED')
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
