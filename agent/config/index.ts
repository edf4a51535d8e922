/** Agent configuration: the admin's config file and the user's approved-origins store. */
export {
  DEFAULT_PORT,
  defaultConfig,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  normaliseOrigin,
  parseConfig,
  type AgentConfig,
  type JournalPolicy,
  type PinCachePolicy,
  type ServerLimits,
  type TrustMaterial,
  type TrustSettings,
} from './config.ts';
export { OriginStore, type ApprovedOrigin } from './origins.ts';

import { join } from 'node:path';

/** Where each file lives inside the config directory. */
export function configPaths(dir: string): { config: string; origins: string; journal: string } {
  return {
    config: join(dir, 'config.json'),
    origins: join(dir, 'approved-origins.json'),
    journal: join(dir, 'journal', 'signing.jsonl'),
  };
}
