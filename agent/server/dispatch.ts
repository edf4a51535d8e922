/**
 * Dispatch: one request in, one reply frame out, always (unknown methods included). No
 * socket and no policy here: the connection layer decided the request may run.
 */
import type { AgentConfig } from '../config/index.ts';
import { KysoError } from '../errors/index.ts';
import type { SigningPipeline } from '../signing/index.ts';
import type { TokenService } from '../tokens/index.ts';
import {
  errorFrame,
  METHOD_NOT_FOUND,
  pageDetails,
  resultFrame,
  RpcError,
  toRpcError,
  type RpcId,
} from './jsonrpc.ts';
import {
  buildRegistry,
  methodGroups,
  type MethodHandler,
  type MethodTable,
} from './methods/registry.ts';
import { retryAfterSeconds } from './http.ts';
import { AGENT_VERSION } from './version.ts';

export interface RequestOrigin {
  origin: string;
  /** Resolves false when the user refused the origin. */
  approved: Promise<boolean>;
  /** When the origin's remembered refusal ends, if it is refused (for retryAfterSeconds). */
  refusedUntil(): number | undefined;
  requestId: string;
  /** This request's: aborted when its connection closes. */
  signal: AbortSignal;
  /** The connection's: aborted when it closes (keys per-connection state). */
  connectionSignal: AbortSignal;
  /** Sends a JSON-RPC notification on this request's connection (progress). */
  notify?: (method: string, params: object) => void;
  /** Sends document bytes of this request as a binary frame (document.download, binary). */
  sendBytes?: (documentId: string, offset: number, data: Buffer) => void;
}

export class Dispatcher {
  private readonly registry: Map<string, MethodHandler>;
  private readonly methodNames: string[];

  constructor(
    private readonly services: {
      tokens: TokenService;
      signing: SigningPipeline;
      config: AgentConfig;
      log: (line: string) => void;
    },
    extraMethods: MethodTable[] = [],
  ) {
    this.registry = buildRegistry([...methodGroups, ...extraMethods]);
    this.methodNames = [...this.registry.keys()].sort();
  }

  async handle(from: RequestOrigin, id: RpcId, method: string, params: unknown): Promise<string> {
    try {
      if (!(await from.approved)) {
        const until = from.refusedUntil();
        throw new KysoError('ORIGIN_NOT_ALLOWED', {
          origin: from.origin,
          ...(until !== undefined ? { retryAfterSeconds: retryAfterSeconds(until) } : {}),
        });
      }
      const handler = this.registry.get(method);
      if (!handler) {
        throw new RpcError(METHOD_NOT_FOUND, 'INVALID_INPUT', {
          message: `Method not found: ${method}`,
          details: { method },
        });
      }
      const result = await handler(params, {
        origin: from.origin,
        requestId: from.requestId,
        signal: from.signal,
        connectionSignal: from.connectionSignal,
        tokens: this.services.tokens,
        signing: this.services.signing,
        config: this.services.config,
        agentVersion: AGENT_VERSION,
        methodNames: this.methodNames,
        ...(from.notify ? { notify: from.notify } : {}),
        ...(from.sendBytes ? { sendBytes: from.sendBytes } : {}),
      });
      return resultFrame(id, result);
    } catch (error) {
      const rpc = toRpcError(error);
      if (rpc.reason === 'INTERNAL_ERROR') {
        this.services.log(`internal error in ${method}: ${String(error)}`);
      }
      // Paths, stderr and module internals stay here: the reply carries pageDetails only.
      const { dropped } = pageDetails(rpc.details);
      const all = error instanceof KysoError ? error.details : rpc.details;
      if (dropped.length > 0 || ('cause' in all && rpc.reason === 'INTERNAL_ERROR')) {
        this.services.log(`${method} failed with ${rpc.reason}: ${safeJson(all)}`);
      }
      return errorFrame(id, rpc);
    }
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
