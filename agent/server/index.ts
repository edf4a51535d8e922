/** The localhost signing endpoint for web apps (JSON-RPC 2.0 over WebSocket). */
export {
  AgentServer,
  CLOSE_IDLE,
  CLOSE_MESSAGE_TOO_LARGE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
  type AgentServerOptions,
  type ListenInfo,
} from './server.ts';
export { AGENT_VERSION, PROTOCOL_VERSION } from './version.ts';
export type { MethodContext, MethodHandler, MethodTable } from './methods/registry.ts';
export { Params } from './params.ts';
export { RpcError } from './jsonrpc.ts';
export { isLoopbackHost } from './security.ts';
export { MemoryBudget, type Reservation } from './budget.ts';
