/**
 * What a WebSocket close from the agent means for the requests it ends (docs/protocol.md
 * "WebSocket close codes"): a message too large, a busy agent or a message that took too long
 * each get their own code and vi/en text, so a page can say what to do instead of
 * "connection lost".
 */
import {
  catalog,
  CLOSE_MESSAGE_TOO_LARGE,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
  type ErrorCode,
} from '../protocol/index.ts';

/** The error a close code names; 4003 is handled by the caller. */
function namedBy(code: number, reason: string): ErrorCode | null {
  switch (code) {
    case CLOSE_MESSAGE_TOO_LARGE:
      return 'MESSAGE_TOO_LARGE';
    case CLOSE_TRY_AGAIN_LATER:
      return reason === 'TOO_MANY_CONNECTIONS' ? 'TOO_MANY_CONNECTIONS' : 'AGENT_BUSY';
    case CLOSE_POLICY_VIOLATION:
      // 1008 from the agent: a message took longer than limits.messageTimeoutMs.
      return 'TIMEOUT';
    default:
      return null;
  }
}

/** The code a close maps to, with its details; null when it is a plain lost connection. */
export function closeError(
  code: number,
  reason: string,
): { code: ErrorCode; text: (typeof catalog)[ErrorCode]; details: Record<string, unknown> } | null {
  const details = { closeCode: code, ...(reason !== '' ? { reason } : {}) };
  // The agent's reason names its code; a proxy or another agent may send only the number.
  const named = namedBy(code, reason);
  return named === null ? null : { code: named, text: catalog[named], details };
}
