/**
 * What a WebSocket close from the agent means for the requests it ends (docs/protocol.md
 * "WebSocket close codes"): a message too large, a busy agent or a message that took too long
 * each get their own code and vi/en text, so a page can say what to do instead of
 * "connection lost".
 */
import { catalog, type ErrorCode } from '../protocol/index.ts';

/** RFC 6455 codes the agent closes with, besides 4003 (handled by the caller). */
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_MESSAGE_TOO_LARGE = 1009;
const CLOSE_TRY_AGAIN_LATER = 1013;

/** The code a close maps to, with its details; null when it is a plain lost connection. */
export function closeError(
  code: number,
  reason: string,
): { code: ErrorCode; text: (typeof catalog)[ErrorCode]; details: Record<string, unknown> } | null {
  const details = { closeCode: code, ...(reason !== '' ? { reason } : {}) };
  // The agent's reason names its code; a proxy or another agent may send only the number.
  const named: ErrorCode | null =
    code === CLOSE_MESSAGE_TOO_LARGE
      ? 'MESSAGE_TOO_LARGE'
      : code === CLOSE_TRY_AGAIN_LATER
        ? reason === 'TOO_MANY_CONNECTIONS'
          ? 'TOO_MANY_CONNECTIONS'
          : 'AGENT_BUSY'
        : code === CLOSE_POLICY_VIOLATION
          ? // 1008 from the agent: a message took longer than limits.messageTimeoutMs.
            'TIMEOUT'
          : null;
  return named === null ? null : { code: named, text: catalog[named], details };
}
