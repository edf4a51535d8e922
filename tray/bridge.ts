/**
 * The contract between the tray's main process and its window pages: the preload exposes a
 * `KysoBridge` as `window.kyso`; tests replace it with a test bridge. Plain JSON only.
 */
import type {
  OriginApprovalRequest,
  PinRequest,
  SigningApprovalRequest,
} from '../agent/consent/types.ts';
import type { DoctorReport } from '../agent/doctor/types.ts';
import type { CertificateInfo, TokenInfo } from '../agent/tokens/types.ts';
import type { Locale } from './i18n.ts';

export type DialogKind = 'pin' | 'origin' | 'signing';
/** Windows that only inform while the agent waits (no answer): the PIN-pad reader notice. */
export type NoticeKind = 'reader';
export type PageKind = DialogKind | NoticeKind | 'status' | 'settings' | 'doctor';

export type DialogRequest =
  | { kind: 'pin'; request: PinRequest }
  | { kind: 'reader'; request: PinRequest }
  | { kind: 'origin'; request: OriginApprovalRequest }
  | { kind: 'signing'; request: SigningApprovalRequest };

export type DialogResponse =
  | { kind: 'pin'; pin: string | null }
  | { kind: 'origin'; allow: boolean }
  | { kind: 'signing'; approve: boolean };

/** Certificates shown in the status window: no DER body needed. */
export type CertificateView = Omit<CertificateInfo, 'certificate'>;

export interface StatusView {
  now: string;
  agent: { running: boolean; port: number };
  tokens: TokenInfo[];
  certificates: CertificateView[];
}

export interface SettingsView {
  /** Origins the administrator allows in the config file (read-only here). */
  adminOrigins: string[];
  /** Origins the user approved; each can be revoked. */
  approvedOrigins: { origin: string; approvedAt: string }[];
  pinCache: { enabled: boolean; ttlSeconds: number };
  /** False when the administrator disabled PIN caching: the user cannot turn it on. */
  pinCacheAllowed: boolean;
  locale: Locale;
}

export interface SettingsUpdate {
  pinCache?: { enabled: boolean; ttlSeconds: number };
  locale?: Locale;
}

export interface KysoBridge {
  locale(): Promise<Locale>;
  setLocale(locale: Locale): Promise<void>;
  onLocaleChanged(listener: (locale: Locale) => void): void;
  dialogRequest(): Promise<DialogRequest>;
  dialogRespond(response: DialogResponse): Promise<void>;
  status(): Promise<StatusView>;
  settings(): Promise<SettingsView>;
  saveSettings(update: SettingsUpdate): Promise<SettingsView>;
  revokeOrigin(origin: string): Promise<SettingsView>;
  runDoctor(): Promise<DoctorReport>;
}

/** IPC channel names (ipcMain.handle / ipcRenderer.invoke). */
export const CHANNELS = {
  locale: 'kyso:locale',
  setLocale: 'kyso:set-locale',
  localeChanged: 'kyso:locale-changed',
  dialogRequest: 'kyso:dialog-request',
  dialogRespond: 'kyso:dialog-respond',
  status: 'kyso:status',
  settings: 'kyso:settings',
  saveSettings: 'kyso:save-settings',
  revokeOrigin: 'kyso:revoke-origin',
  runDoctor: 'kyso:run-doctor',
} as const;
