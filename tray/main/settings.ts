/**
 * What the settings window shows and changes. The administrator's config file stays
 * read-only here; the user's choices (language, PIN cache) live in tray.json next to it and
 * can only narrow the administrator's PIN cache policy, never widen it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configPaths, loadConfig, normaliseOrigin, OriginStore } from '../../agent/config/index.ts';
import { KysoError } from '../../agent/errors/index.ts';
import type { SettingsUpdate, SettingsView } from '../bridge.ts';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n.ts';

interface TrayPrefs {
  locale?: Locale;
  pinCache?: { enabled: boolean; ttlSeconds: number };
}

export const MAX_PIN_CACHE_SECONDS = 8 * 3600;

export class TraySettings {
  readonly prefsFile: string;
  private readonly configFile: string;
  private readonly origins: OriginStore;

  constructor(configDir: string) {
    const paths = configPaths(configDir);
    this.configFile = paths.config;
    this.origins = new OriginStore(paths.origins);
    this.prefsFile = join(configDir, 'tray.json');
  }

  private prefs(): TrayPrefs {
    try {
      const json = JSON.parse(readFileSync(this.prefsFile, 'utf8')) as TrayPrefs;
      return typeof json === 'object' && json !== null ? json : {};
    } catch {
      return {};
    }
  }

  private writePrefs(prefs: TrayPrefs): void {
    mkdirSync(dirname(this.prefsFile), { recursive: true });
    const tmp = `${this.prefsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(prefs, null, 2) + '\n');
    renameSync(tmp, this.prefsFile);
  }

  locale(): Locale {
    const locale = this.prefs().locale;
    return isLocale(locale) ? locale : DEFAULT_LOCALE;
  }

  /** The PIN cache policy the agent should apply: the user's choice within the admin's. */
  effectivePinCache(): { enabled: boolean; ttlSeconds: number } {
    const admin = loadConfig(this.configFile).pinCache;
    const user = this.prefs().pinCache;
    return {
      enabled: admin.enabled && (user?.enabled ?? true),
      ttlSeconds: Math.min(admin.ttlSeconds, user?.ttlSeconds ?? admin.ttlSeconds),
    };
  }

  view(): SettingsView {
    const config = loadConfig(this.configFile);
    return {
      adminOrigins: config.allowedOrigins,
      approvedOrigins: this.origins.list(),
      pinCache: this.effectivePinCache(),
      pinCacheAllowed: config.pinCache.enabled,
      locale: this.locale(),
    };
  }

  /** Validates input from the settings window (it crosses IPC, so it is untrusted). */
  update(update: unknown): SettingsView {
    if (typeof update !== 'object' || update === null)
      throw new KysoError('INVALID_INPUT', { field: 'settings' });
    const { locale, pinCache } = update as SettingsUpdate;
    const prefs = this.prefs();
    if (locale !== undefined) {
      if (!isLocale(locale)) throw new KysoError('INVALID_INPUT', { field: 'locale' });
      prefs.locale = locale;
    }
    if (pinCache !== undefined) {
      const ok =
        typeof pinCache === 'object' &&
        pinCache !== null &&
        typeof pinCache.enabled === 'boolean' &&
        Number.isInteger(pinCache.ttlSeconds) &&
        pinCache.ttlSeconds >= 60 &&
        pinCache.ttlSeconds <= MAX_PIN_CACHE_SECONDS;
      if (!ok) throw new KysoError('INVALID_INPUT', { field: 'pinCache' });
      prefs.pinCache = { enabled: pinCache.enabled, ttlSeconds: pinCache.ttlSeconds };
    }
    this.writePrefs(prefs);
    return this.view();
  }

  revoke(origin: unknown): SettingsView {
    const normalised = typeof origin === 'string' ? normaliseOrigin(origin) : null;
    if (!normalised) throw new KysoError('INVALID_INPUT', { field: 'origin' });
    this.origins.revoke(normalised);
    return this.view();
  }
}
