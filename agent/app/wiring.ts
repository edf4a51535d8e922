/**
 * The one start-up wiring: config → token service (+ hot-plug) → journal → consent →
 * signing pipeline → server. `kyso start`, the tray and the test harness build the agent
 * here, so every door gets the same parts in the same order and stops them in reverse.
 */
import { dirname } from 'node:path';
import {
  configPaths,
  OriginStore,
  type AgentConfig,
  type PinCachePolicy,
} from '../config/index.ts';
import type { ConsentProvider } from '../consent/index.ts';
import { startHotplug, type HotplugWatcher } from '../devices/index.ts';
import { Journal, tailLossText } from '../journal/index.ts';
import { AgentServer, type AgentServerOptions } from '../server/index.ts';
import { SigningPipeline, type LtvProgress } from '../signing/index.ts';
import { startTokenService, type TokenService } from '../tokens/index.ts';

export interface SigningParts {
  config: AgentConfig;
  tokens: TokenService;
  consent: ConsentProvider;
  journal: Journal;
  /** Overrides config.pinCache (the tray's own setting; the CLI turns it off). */
  pinCache?: PinCachePolicy;
  /** Issue 14: someone waits for a TSA (the CLI prints a line). */
  onLtvProgress?: (event: LtvProgress) => void;
}

/** The pipeline for a config: the CLI's (no server) and the server's. */
export function createSigning(parts: SigningParts): SigningPipeline {
  return new SigningPipeline({
    tokens: parts.tokens,
    consent: parts.consent,
    journal: parts.journal,
    pinCache: parts.pinCache ?? parts.config.pinCache,
    trust: parts.config.trust,
    syncJournal: parts.config.journal.syncBeforeReply,
    // Issue 14: status check before signing, TSAs for B-T and above.
    revocation: parts.config.revocation,
    timestamp: parts.config.timestamp,
    ...(parts.onLtvProgress ? { onLtvProgress: parts.onLtvProgress } : {}),
    consentQueue: parts.config.consent,
  });
}

export interface AgentServerParts
  extends SigningParts, Pick<AgentServerOptions, 'extraMethods' | 'hosts' | 'log'> {
  originStore: OriginStore | null;
}

/** The pipeline and the server over it; close() stops the server, then logs out cached PINs. */
export function createAgentServer(parts: AgentServerParts): {
  server: AgentServer;
  signing: SigningPipeline;
  close(): Promise<void>;
} {
  const log = parts.log;
  const signing = createSigning({
    ...parts,
    // Issue 14: TSA waits in the agent log.
    ...(!parts.onLtvProgress && log
      ? {
          onLtvProgress: (e: LtvProgress) =>
            log(
              `timestamp ${e.step} ${e.document}: ${e.progress.state} ${e.progress.attempt}/${e.progress.tries}`,
            ),
        }
      : {}),
  });
  const server = new AgentServer({
    config: parts.config,
    tokens: parts.tokens,
    signing,
    originStore: parts.originStore,
    ...(parts.extraMethods ? { extraMethods: parts.extraMethods } : {}),
    ...(parts.hosts ? { hosts: parts.hosts } : {}),
    ...(parts.log ? { log: parts.log } : {}),
  });
  return {
    server,
    signing,
    async close() {
      await server.close();
      await signing.close();
    },
  };
}

export interface RunningAgent {
  config: AgentConfig;
  tokens: TokenService;
  hotplug: HotplugWatcher;
  journal: Journal;
  consent: ConsentProvider;
  signing: SigningPipeline;
  server: AgentServer;
  journalFile: string;
  /** Server, cached logins, hot-plug, journal, token service: in that order. */
  close(): Promise<void>;
}

export interface StartAgentOptions {
  config: AgentConfig;
  /** The config file; approved origins and the journal live in its directory. */
  configFile: string;
  /** PKCS#11 module paths to load. */
  modules: string[];
  /** Built once the token service runs (the tray's windows need it). */
  consent: ConsentProvider | ((tokens: TokenService) => ConsentProvider);
  pinCache?: PinCachePolicy;
  log: (line: string) => void;
}

/** Starts the long-running agent (not listening yet: the caller picks when and reports). */
export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { config, log } = options;
  const paths = configPaths(dirname(options.configFile));
  const tokens = await startTokenService({ modules: options.modules, pollIntervalMs: 1000 });
  // USB attach/detach triggers a rescan at once; slot polling is the fallback.
  const hotplug = startHotplug({ tokens });
  log(`hot-plug: ${hotplug.mode}${hotplug.reason ? ` (${hotplug.reason})` : ''}`);
  const journal = new Journal(paths.journal, {
    ...config.journal,
    onTailLoss: (loss, noticed) => log(tailLossText(loss, noticed)),
  });
  // Opened now, so records cut off its end (crash, another process) are reported at start.
  try {
    journal.open();
  } catch (error) {
    log(`signing journal ${paths.journal} cannot be opened: ${String(error)}`);
  }
  const consent = typeof options.consent === 'function' ? options.consent(tokens) : options.consent;
  const agent = createAgentServer({
    config,
    tokens,
    consent,
    journal,
    originStore: new OriginStore(paths.origins),
    log,
    ...(options.pinCache ? { pinCache: options.pinCache } : {}),
  });
  let closed: Promise<void> | undefined;
  return {
    config,
    tokens,
    hotplug,
    journal,
    consent,
    signing: agent.signing,
    server: agent.server,
    journalFile: paths.journal,
    close() {
      closed ??= (async () => {
        await agent.close();
        hotplug.close();
        await journal.close();
        await tokens.close();
      })();
      return closed;
    },
  };
}
