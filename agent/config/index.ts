/** Agent configuration: the admin's config file and the user's approved-origins store. */
export {
  bufferHeadroom,
  DEFAULT_PORT,
  FRAME_MEMORY_FACTOR,
  defaultConfig,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  normaliseOrigin,
  parseConfig,
  type AgentConfig,
  type ConsentPolicy,
  type JournalPolicy,
  type PinCachePolicy,
  type RevocationSettings,
  type ServerLimits,
  type TimestampSettings,
  type TrustMaterial,
  type TrustSettings,
} from './config.ts';
export { OriginStore, type ApprovedOrigin } from './origins.ts';

import { currentFilesIn } from '../platform/index.ts';

/** Where each file lives inside the config directory. */
export function configPaths(dir: string): { config: string; origins: string; journal: string } {
  const { config, origins, journal } = currentFilesIn(dir);
  return { config, origins, journal };
}
