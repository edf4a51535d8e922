/**
 * Runs every check and assembles the report. Nothing here may hang: token calls have a
 * deadline, and a failure of one check becomes a finding instead of aborting the rest.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { arch as osArch } from 'node:os';
import {
  configPaths,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  OriginStore,
  type AgentConfig,
} from '../config/index.ts';
import {
  currentPlatform,
  modulesToLoad,
  loadDeviceDatabase,
  moduleCandidates,
  startHotplug,
  type Platform,
  type UsbEventSource,
} from '../devices/index.ts';
import { toKysoError } from '../errors/index.ts';
import type { TokenService } from '../tokens/index.ts';
import type { CertificateInfo, ModuleStatus, TokenInfo } from '../tokens/index.ts';
import { loadTrustBundle } from './chain.ts';
import {
  browserFindings,
  certificateFindings,
  clockFindings,
  moduleFindings,
  portFindings,
  tokenFindings,
  usbFindings,
  type TrustAnchors,
} from './checks.ts';
import { checkPort, type PortState } from './port.ts';
import { worstOf, type DoctorReport, type Finding } from './types.ts';

export function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

export interface DoctorOptions {
  configDir?: string;
  /** The config file itself (--config FILE); approved origins are read beside it. */
  configFile?: string;
  /** PKCS#11 modules to check (--module), instead of the config file's and the known ones. */
  modules?: string[];
  now?: Date;
  timezoneOffsetMinutes?: number;
  /** Starts the token service over these module paths (default: agent/tokens startTokenService). */
  openTokens?: (modules: string[]) => Promise<TokenService>;
  /** USB event source; null for none (default: the usb package, guarded). */
  usb?: UsbEventSource | null;
  platform?: Platform;
  /** PEM texts holding trust anchors (self-signed) and intermediates. */
  trustPem?: string[];
  /** Port state override (tests), otherwise probed. */
  portState?: (port: number) => Promise<PortState>;
  /** Prefix for /etc policy directories (tests). */
  policyRoot?: string;
  /** Deadline for the token service calls (ms, default 20 000). */
  tokenTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function defaultOpenTokens(modules: string[]): Promise<TokenService> {
  const { startTokenService } = await import('../tokens/index.ts');
  return startTokenService({ modules, pollIntervalMs: 0, callTimeoutMs: 15_000 });
}

function failure(section: Finding['section'], id: string, error: unknown): Finding {
  const k = toKysoError(error);
  return {
    id,
    section,
    severity: 'error',
    message: {
      vi: `Kiểm tra thất bại: ${k.code} ${String(k.details['cause'] ?? '')}`.trim(),
      en: `Check failed: ${k.code} ${String(k.details['cause'] ?? '')}`.trim(),
    },
    fix: k.userMessage,
  };
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const now = options.now ?? new Date();
  const platform = options.platform ?? currentPlatform();
  const findings: Finding[] = [];
  const version = agentVersion();
  const configDir =
    options.configDir ??
    (options.configFile !== undefined ? dirname(options.configFile) : defaultConfigDir());
  const paths = {
    ...configPaths(configDir),
    ...(options.configFile !== undefined ? { config: options.configFile } : {}),
  };

  // Agent and config
  let config: AgentConfig | undefined;
  let origins: string[] = [];
  try {
    config = loadConfig(paths.config);
    const approved = new OriginStore(paths.origins).list().map((o) => o.origin);
    origins = [...new Set([...config.allowedOrigins, ...approved])];
    findings.push({
      id: 'agent.config',
      section: 'agent',
      severity: 'ok',
      message: {
        vi: `Kyso Agent ${version}; tệp cấu hình: ${paths.config}; cổng ${config.port}.`,
        en: `Kyso Agent ${version}; config file: ${paths.config}; port ${config.port}.`,
      },
      facts: { version, configFile: paths.config, port: config.port },
    });
  } catch (error) {
    const k = toKysoError(error, 'CONFIG_INVALID');
    findings.push({
      id: 'agent.config-invalid',
      section: 'agent',
      severity: 'error',
      message: {
        vi: `Kyso Agent ${version}; tệp cấu hình ${paths.config} bị lỗi: ${String(k.details['field'] ?? '')} ${String(k.details['problem'] ?? '')} ${String(k.details['path'] ?? '')}`.trim(),
        en: `Kyso Agent ${version}; the config file ${paths.config} is invalid: ${String(k.details['field'] ?? '')} ${String(k.details['problem'] ?? '')} ${String(k.details['path'] ?? '')}`.trim(),
      },
      fix: k.userMessage,
      facts: { version, configFile: paths.config },
    });
  }
  const port = config?.port ?? 51987;

  // Port
  try {
    findings.push(...portFindings(port, await (options.portState ?? ((p) => checkPort(p)))(port)));
  } catch (error) {
    findings.push(failure('port', 'port.check-failed', error));
  }

  // Modules, USB, tokens, certificates
  const db = loadDeviceDatabase();
  const candidates = moduleCandidates(db, platform).map((c) => ({
    path: c.path,
    product: c.module.product,
    certainty: c.module.certainty,
  }));
  const flagged = options.modules ?? [];
  const modules = modulesToLoad(
    flagged.length > 0 ? flagged : (config?.modules ?? []),
    db,
    platform,
  );
  let statuses: ModuleStatus[] = [];
  let tokens: TokenInfo[] = [];
  let certificates: CertificateInfo[] = [];
  let onTokens: CertificateInfo[] = [];
  let caOnTokens: CertificateInfo[] = [];
  let service: TokenService | undefined;
  const deadline = options.tokenTimeoutMs ?? 20_000;
  if (modules.length > 0) {
    try {
      service = await withTimeout(
        (options.openTokens ?? defaultOpenTokens)(modules),
        deadline,
        'token service',
      );
      statuses = service.modules();
      tokens = await withTimeout(service.listTokens(), deadline, 'listTokens');
      const all = await withTimeout(
        service.listCertificates({ withPrivateKey: false }),
        deadline,
        'listCertificates',
      );
      onTokens = all;
      certificates = all.filter((c) => c.hasPrivateKey);
      caOnTokens = all.filter((c) => !c.hasPrivateKey && c.isCA);
    } catch (error) {
      findings.push(failure('tokens', 'tokens.check-failed', error));
    }
  }
  findings.push(...moduleFindings(candidates, statuses));

  const watcher = startHotplug({
    tokens: { rescan: async () => [] },
    ...(options.usb !== undefined ? { source: options.usb } : {}),
    db,
    platform,
    pollIntervalMs: 0,
  });
  findings.push(...usbFindings(watcher));
  watcher.close();

  if (modules.length > 0) findings.push(...tokenFindings(tokens));
  let trust: TrustAnchors = { anchors: [], intermediates: [] };
  try {
    if ((options.trustPem ?? []).length > 0) {
      const bundles = (options.trustPem ?? []).map(loadTrustBundle);
      trust = {
        anchors: bundles.flatMap((b) => b.anchors),
        intermediates: bundles.flatMap((b) => b.intermediates),
      };
    } else if (config) {
      // No --trust: the agency's configured anchors and intermediates.
      const configured = loadTrust(config.trust);
      trust = {
        anchors: configured.anchors.map((der) => new X509Certificate(der)),
        intermediates: configured.intermediates.map((der) => new X509Certificate(der)),
      };
    }
    // CA certificates stored on the tokens complete the paths, as they do when signing.
    trust.intermediates.push(
      ...caOnTokens.map((c) => new X509Certificate(Buffer.from(c.certificate, 'base64'))),
    );
  } catch (error) {
    findings.push(failure('certificates', 'certificates.trust-invalid', error));
  }
  // Every certificate on every token, with or without its key.
  findings.push(...certificateFindings(onTokens, now, trust, tokens));
  await service?.close().catch(() => undefined);

  findings.push(
    ...clockFindings(now, options.timezoneOffsetMinutes ?? now.getTimezoneOffset(), certificates),
  );
  findings.push(...browserFindings(origins, platform.os, options.policyRoot));

  return {
    tool: 'kyso doctor',
    agentVersion: version,
    generatedAt: now.toISOString(),
    platform: { os: platform.os, arch: platform.arch ?? osArch(), node: process.version },
    worst: worstOf(findings),
    findings,
  };
}
