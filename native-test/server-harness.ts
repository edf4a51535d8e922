/**
 * Runs a real agent (AgentServer + token service on the SoftHSM2 test PKI + scripted consent)
 * on a random loopback port, and a small real `ws` JSON-RPC client for the server tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach } from 'vitest';
import { configPaths, OriginStore, parseConfig, type AgentConfig } from '../agent/config/index.ts';
import { ScriptedConsent, type ConsentScript } from '../agent/consent/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { createAgentServer } from '../agent/app/index.ts';
import type { AgentServer, MethodTable } from '../agent/server/index.ts';
import type { TokenService } from '../agent/tokens/api.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenEvent } from '../agent/tokens/types.ts';
import { loadTestPki, type TestPki } from './pki.ts';

export const TEST_ORIGIN = 'http://127.0.0.1:8080';

export interface TestAgent {
  url: string;
  port: number;
  server: AgentServer;
  consent: ScriptedConsent;
  tokens: TokenService;
  /** Emits a token event as if the token service had seen it. */
  emitTokenEvent(event: TokenEvent): void;
  journalFile: string;
  journal: Journal;
  originStore: OriginStore;
  configDir: string;
  pki: TestPki;
  close(): Promise<void>;
}

/** A token service wrapper whose events a test can also inject (plug/unplug). */
function withInjectableEvents(service: TokenService): {
  tokens: TokenService;
  emit: (event: TokenEvent) => void;
} {
  const listeners = new Set<(event: TokenEvent) => void>();
  const tokens: TokenService = {
    modules: () => service.modules(),
    listTokens: () => service.listTokens(),
    getToken: (id) => service.getToken(id),
    listCertificates: (filter) => service.listCertificates(filter),
    getCertificate: (id) => service.getCertificate(id),
    sign: (request, credentials) => service.sign(request, credentials),
    signMany: (id, items, credentials) => service.signMany(id, items, credentials),
    isLoggedIn: (id) => service.isLoggedIn(id),
    logout: (id) => service.logout(id),
    rescan: () => service.rescan(),
    close: () => service.close(),
    onEvent: (listener) => {
      listeners.add(listener);
      const off = service.onEvent(listener);
      return () => {
        listeners.delete(listener);
        off();
      };
    },
  };
  return { tokens, emit: (event) => listeners.forEach((l) => l(event)) };
}

export function defaultScript(pki: TestPki): ConsentScript {
  return {
    origins: { default: 'refuse', [TEST_ORIGIN]: 'approve' },
    signing: { default: 'approve' },
    pins: Object.fromEntries(pki.tokens.map((t) => [t.label, t.pin])),
  };
}

export async function startTestAgent(
  options: {
    config?: Record<string, unknown>;
    script?: (pki: TestPki) => ConsentScript;
    pki?: TestPki;
    tokens?: TokenService;
    /** Extra methods (tests that look inside the agent, e.g. at a request's context). */
    extraMethods?: MethodTable[];
  } = {},
): Promise<TestAgent> {
  const pki = options.pki ?? loadTestPki();
  const configDir = mkdtempSync(join(tmpdir(), 'kyso-agent-'));
  const paths = configPaths(configDir);
  const config: AgentConfig = parseConfig({
    port: 0,
    allowedOrigins: [TEST_ORIGIN],
    ...options.config,
  });
  const service =
    options.tokens ??
    (await startTokenService({
      modules: [pki.modulePath],
      env: { SOFTHSM2_CONF: pki.softhsm2Conf },
      pollIntervalMs: 0,
    }));
  const { tokens, emit } = withInjectableEvents(service);
  const consent = new ScriptedConsent((options.script ?? defaultScript)(pki), {
    warn: () => undefined,
  });
  const journal = new Journal(paths.journal, config.journal);
  const originStore = new OriginStore(paths.origins);
  const agent = createAgentServer({
    config,
    tokens,
    consent,
    journal,
    originStore,
    hosts: ['127.0.0.1'],
    ...(options.extraMethods ? { extraMethods: options.extraMethods } : {}),
  });
  const server: AgentServer = agent.server;
  let port: number;
  try {
    ({ port } = await server.listen(config.port));
  } catch (error) {
    await agent.close();
    await journal.close();
    if (!options.tokens) await service.close();
    throw error;
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    server,
    consent,
    tokens,
    emitTokenEvent: emit,
    journalFile: paths.journal,
    journal,
    originStore,
    configDir,
    pki,
    async close() {
      await agent.close();
      await journal.close();
      if (!options.tokens) await service.close();
    },
  };
}

/**
 * For a test file's top level: returns a starter whose agents are all closed after each test,
 * so a failing test does not leave its agent holding a port for the next.
 */
export function agentPerTest(): (
  options?: Parameters<typeof startTestAgent>[0],
) => Promise<TestAgent> {
  const agents: TestAgent[] = [];
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
  });
  return async (options = {}) => {
    const agent = await startTestAgent(options);
    agents.push(agent);
    return agent;
  };
}

export interface RpcReply {
  id: unknown;
  /** Set when the socket closed before the reply came. */
  closeCode?: number;
  result?: Record<string, unknown>;
  error?: {
    code: number;
    message: string;
    data: {
      reason: string;
      field?: string;
      message: { vi: string; en: string };
      details?: Record<string, unknown>;
    };
  };
}

export class TestClient {
  readonly socket: WebSocket;
  readonly notifications: { method: string; params: unknown }[] = [];
  /** Binary frames from the agent (document.download data with binary: true), in order. */
  readonly binary: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private readonly waiting = new Map<unknown, (reply: RpcReply) => void>();
  private readonly frames: RpcReply[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        // Requests the agent could not answer because it closed first resolve with the code.
        for (const [id, pending] of this.waiting) pending({ id, closeCode: code });
        this.waiting.clear();
        resolve({ code, reason: reason.toString() });
      }),
    );
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binary.push(Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
        return;
      }
      const json = JSON.parse(String(data)) as RpcReply & { method?: string; params?: unknown };
      if (json.method !== undefined && json.id === undefined) {
        this.notifications.push({ method: json.method, params: json.params });
        return;
      }
      const resolve = this.waiting.get(json.id);
      if (resolve) {
        this.waiting.delete(json.id);
        resolve(json);
      } else this.frames.push(json);
    });
  }

  static connect(
    url: string,
    options: { origin?: string; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const socket = new WebSocket(url, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      headers: options.headers ?? {},
    });
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  call(method: string, params?: unknown): Promise<RpcReply> {
    const id = this.nextId++;
    return this.sendRaw(
      JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
      id,
    );
  }

  /** Sends any text and waits for the reply with this id (null for parse errors). */
  sendRaw(text: string | Buffer, id: unknown): Promise<RpcReply> {
    return new Promise((resolve) => {
      const early = this.frames.findIndex((f) => f.id === id);
      if (early >= 0) {
        const [frame] = this.frames.splice(early, 1);
        if (frame) return resolve(frame);
      }
      if (this.socket.readyState !== WebSocket.OPEN) return resolve({ id, closeCode: -1 });
      this.waiting.set(id, resolve);
      this.socket.send(text);
    });
  }

  close(): void {
    this.socket.close();
  }
}
