/** What a method handler gets: the services on its context, never the socket. */
import type { AgentConfig } from '../../config/index.ts';
import type { SigningPipeline } from '../../signing/index.ts';
import type { TokenService } from '../../tokens/index.ts';

export interface MethodContext {
  /** The approved web origin making the request. */
  origin: string;
  /** Unique per agent run: "<connection>:<JSON-RPC id>", used in the journal. */
  requestId: string;
  /**
   * This request's, aborted when the connection closes: stop prompting, stop waiting.
   * Listeners on it go away with the request.
   */
  signal: AbortSignal;
  /** The connection's, aborted when it closes: keys state that outlives one request. */
  connectionSignal: AbortSignal;
  tokens: TokenService;
  /** The use cases: handlers turn params into a pipeline call and its result into a reply. */
  signing: SigningPipeline;
  config: AgentConfig;
  agentVersion: string;
  /** Every method name the agent answers (for agent.info). */
  methodNames: string[];
  /**
   * Sends a notification to this connection (sign.pdfs.progress). Optional: the transport
   * wires it (dispatch.ts); without it, progress is simply not sent.
   */
  notify?: (method: string, params: object) => void;
  /**
   * Sends document bytes as a binary frame before this request's reply (document.download
   * with `binary: true`); absent when the request id is not a non-negative integer.
   */
  sendBytes?: (documentId: string, offset: number, data: Buffer) => void;
}

export type MethodHandler = (params: unknown, ctx: MethodContext) => Promise<unknown>;
export type MethodTable = Record<string, MethodHandler>;
