/** Who signs from the command line, as the journal records it. */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { SigningCaller } from './service.ts';

/**
 * The local user running `kyso sign` / `kyso sign-hash`: origin "cli:<user name>" (the
 * journal's origin column says which door a signature came through), a fresh request id.
 */
export function commandLineCaller(): SigningCaller {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return {
    origin: `cli:${user}`,
    requestId: `cli:${process.pid}:${randomUUID()}`,
    signal: new AbortController().signal,
  };
}
