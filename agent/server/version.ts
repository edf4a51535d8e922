/** Versions the agent announces: its own (package.json) and the protocol's. */
import { readFileSync } from 'node:fs';

/** Major changes break clients; minor versions only add methods or optional members. */
export const PROTOCOL_VERSION = '1.0';

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export function protocolMajor(version: string): number | null {
  const match = /^(\d{1,4})\.(\d{1,4})$/.exec(version);
  return match ? Number(match[1]) : null;
}
