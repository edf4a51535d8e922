/** Versions the agent announces: its own (package.json) and the protocol's (agent/protocol). */
import { readFileSync } from 'node:fs';

export { PROTOCOL_VERSION, protocolMajor } from '../protocol/index.ts';

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
