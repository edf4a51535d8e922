/**
 * The tray's main process: the icon with its state, the menu, the windows, and the IPC the
 * pages use. It hosts the agent's consent provider: each consent call opens a window and
 * resolves when the user answers, closes it, or the requesting connection goes away.
 */
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  shell,
  Tray,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
} from 'electron';
import type { ConsentProvider } from '../../agent/consent/types.ts';
import type { RecognisedDevice } from '../../agent/devices/types.ts';
import type { DoctorReport } from '../../agent/doctor/types.ts';
import type { TokenService } from '../../agent/tokens/api.ts';
import {
  CHANNELS,
  type DialogKind,
  type DialogRequest,
  type DialogResponse,
  type NoticeKind,
  type PageKind,
  type SettingsView,
  type StatusView,
} from '../bridge.ts';
import { isLocale, t, type Locale, type MessageKey } from '../i18n.ts';
import { iconBitmap, type TrayState } from './icons.ts';

export interface TraySettingsPort {
  locale(): Locale;
  view(): SettingsView;
  update(update: unknown): SettingsView;
  revoke(origin: unknown): SettingsView;
}

export interface TrayServices {
  tokens: Pick<TokenService, 'listTokens' | 'listCertificates' | 'modules' | 'onEvent'>;
  settings: TraySettingsPort;
  runDoctor(): Promise<DoctorReport>;
  agent(): { running: boolean; port: number };
  logDir: string;
  /** Folder with the built pages (pin.html, ...). */
  pagesDir: string;
  preloadPath: string;
}

interface PendingDialog {
  request: DialogRequest;
  window: BrowserWindow;
  finish: (response: DialogResponse | null) => void;
}

const SIZES: Record<PageKind, { width: number; height: number }> = {
  pin: { width: 460, height: 560 },
  reader: { width: 460, height: 400 },
  origin: { width: 460, height: 420 },
  signing: { width: 520, height: 640 },
  status: { width: 560, height: 640 },
  settings: { width: 560, height: 640 },
  doctor: { width: 760, height: 720 },
};

const STATE_KEYS: Record<TrayState, { menu: MessageKey; tooltip: MessageKey }> = {
  ready: { menu: 'menu.state.ready', tooltip: 'tray.tooltip.ready' },
  'no-token': { menu: 'menu.state.noToken', tooltip: 'tray.tooltip.noToken' },
  error: { menu: 'menu.state.error', tooltip: 'tray.tooltip.error' },
};

export class TrayApp {
  private tray: Tray | undefined;
  private locale: Locale;
  private state: TrayState = 'no-token';
  private tokenCount = 0;
  private readonly singletons = new Map<PageKind, BrowserWindow>();
  /** Open dialogs by the id of their webContents: IPC answers are matched to the sender. */
  private readonly dialogs = new Map<number, PendingDialog>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly services: TrayServices) {
    this.locale = services.settings.locale();
  }

  start(): void {
    this.tray = new Tray(this.icon());
    this.tray.on('click', () => this.openWindow('status'));
    this.registerIpc();
    this.unsubscribe = this.services.tokens.onEvent(() => void this.refreshState());
    this.renderTray();
    void this.refreshState();
  }

  get currentState(): TrayState {
    return this.state;
  }

  get currentLocale(): Locale {
    return this.locale;
  }

  /** Recomputes ready / no token / error from the token service. */
  async refreshState(): Promise<TrayState> {
    const modules = this.services.tokens.modules();
    let state: TrayState;
    try {
      const tokens = await this.services.tokens.listTokens();
      this.tokenCount = tokens.length;
      const anyLoaded = modules.some((m) => m.state === 'loaded');
      state = !anyLoaded ? 'error' : tokens.length === 0 ? 'no-token' : 'ready';
    } catch {
      state = 'error';
    }
    if (state !== this.state) {
      this.state = state;
      this.tray?.setImage(this.icon());
    }
    this.renderTray();
    return state;
  }

  private icon() {
    return nativeImage.createFromBitmap(iconBitmap(this.state, 32), {
      width: 32,
      height: 32,
      scaleFactor: 2,
    });
  }

  private text(key: MessageKey, params?: Record<string, string | number>): string {
    return t(this.locale, key, params);
  }

  menuTemplate(): MenuItemConstructorOptions[] {
    return [
      { id: 'state', label: this.text(STATE_KEYS[this.state].menu), enabled: false },
      { type: 'separator' },
      { id: 'status', label: this.text('menu.status'), click: () => this.openWindow('status') },
      { id: 'doctor', label: this.text('menu.doctor'), click: () => this.openWindow('doctor') },
      {
        id: 'settings',
        label: this.text('menu.settings'),
        click: () => this.openWindow('settings'),
      },
      { type: 'separator' },
      {
        id: 'logs',
        label: this.text('menu.openLogs'),
        click: () => void shell.openPath(this.services.logDir),
      },
      { type: 'separator' },
      { id: 'quit', label: this.text('menu.quit'), click: () => app.quit() },
    ];
  }

  private renderTray(): void {
    if (!this.tray) return;
    this.tray.setToolTip(this.text(STATE_KEYS[this.state].tooltip, { count: this.tokenCount }));
    this.tray.setContextMenu(Menu.buildFromTemplate(this.menuTemplate()));
  }

  private createWindow(kind: PageKind): BrowserWindow {
    const dialog = kind === 'pin' || kind === 'reader' || kind === 'origin' || kind === 'signing';
    const window = new BrowserWindow({
      ...SIZES[kind],
      title: this.text(`window.${kind}`),
      show: false,
      resizable: !dialog,
      minimizable: !dialog,
      maximizable: false,
      alwaysOnTop: dialog,
      autoHideMenuBar: true,
      webPreferences: {
        preload: this.services.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
      },
    });
    window.once('ready-to-show', () => {
      window.show();
      window.focus();
    });
    // Pages never navigate away or open other windows.
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    void window.loadFile(join(this.services.pagesDir, `${kind}.html`));
    return window;
  }

  openWindow(kind: 'status' | 'settings' | 'doctor'): BrowserWindow {
    const existing = this.singletons.get(kind);
    if (existing && !existing.isDestroyed()) {
      existing.show();
      existing.focus();
      return existing;
    }
    const window = this.createWindow(kind);
    this.singletons.set(kind, window);
    window.on('closed', () => this.singletons.delete(kind));
    return window;
  }

  /**
   * Opens a dialog and resolves with the user's answer, or null when the window was closed
   * or the signal aborted (the window is then closed for the user).
   */
  openDialog(request: DialogRequest, signal: AbortSignal): Promise<DialogResponse | null> {
    return this.showDialog(request, signal).answer;
  }

  /** A dialog window, with a way for the main process to close it (notices close so). */
  private showDialog(
    request: DialogRequest,
    signal: AbortSignal,
  ): { answer: Promise<DialogResponse | null>; close(): void } {
    if (signal.aborted) return { answer: Promise.resolve(null), close: () => undefined };
    let close: () => void = () => undefined;
    const answer = new Promise<DialogResponse | null>((resolve) => {
      const window = this.createWindow(request.kind);
      const id = window.webContents.id;
      let done = false;
      const finish = (response: DialogResponse | null) => {
        if (done) return;
        done = true;
        this.dialogs.delete(id);
        signal.removeEventListener('abort', onAbort);
        if (!window.isDestroyed()) window.close();
        resolve(response);
      };
      const onAbort = () => finish(null);
      signal.addEventListener('abort', onAbort, { once: true });
      window.on('closed', () => finish(null));
      this.dialogs.set(id, { request, window, finish });
      close = () => finish(null);
    });
    return { answer, close };
  }

  /** The agent's consent provider, answered through the tray's windows. */
  consent(): ConsentProvider {
    return {
      approveOrigin: async (request, signal) => {
        const r = await this.openDialog({ kind: 'origin', request }, signal);
        return r?.kind === 'origin' && r.allow;
      },
      approveSigning: async (request, signal) => {
        const r = await this.openDialog({ kind: 'signing', request }, signal);
        return r?.kind === 'signing' && r.approve;
      },
      askPin: async (request, signal) => {
        const r = await this.openDialog({ kind: 'pin', request }, signal);
        return r?.kind === 'pin' ? r.pin : null;
      },
      // PIN pad: a window with the notice and no field, closed when the reader answers.
      readerPinPrompt: (request, signal) => {
        const shown = this.showDialog({ kind: 'reader', request }, signal);
        return { close: () => shown.close() };
      },
    };
  }

  /** A known token was plugged in but its software is missing: say which and what to install. */
  notifyModuleMissing(device: RecognisedDevice): void {
    if (!Notification.isSupported()) return;
    new Notification({
      title: this.text('notify.moduleMissing.title'),
      body: this.text('notify.moduleMissing.body', {
        device: `${device.device.vendor} ${device.device.model}`,
        install: device.install?.[this.locale] ?? '',
      }),
    }).show();
  }

  setLocale(locale: unknown): void {
    if (!isLocale(locale)) throw new Error('invalid locale');
    this.services.settings.update({ locale });
    this.locale = locale;
    this.renderTray();
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed()) window.webContents.send(CHANNELS.localeChanged, locale);
    }
  }

  private dialogOf(event: IpcMainInvokeEvent): PendingDialog {
    const pending = this.dialogs.get(event.sender.id);
    if (!pending) throw new Error('no dialog for this window');
    return pending;
  }

  private async status(): Promise<StatusView> {
    const [tokens, certificates] = await Promise.all([
      this.services.tokens.listTokens(),
      this.services.tokens.listCertificates(),
    ]);
    return {
      now: new Date().toISOString(),
      agent: this.services.agent(),
      tokens,
      certificates: certificates.map(({ certificate: _der, ...rest }) => rest),
    };
  }

  private registerIpc(): void {
    ipcMain.handle(CHANNELS.locale, () => this.locale);
    ipcMain.handle(CHANNELS.setLocale, (_event, locale: unknown) => this.setLocale(locale));
    ipcMain.handle(CHANNELS.dialogRequest, (event) => this.dialogOf(event).request);
    ipcMain.handle(CHANNELS.dialogRespond, (event, response: unknown) => {
      const pending = this.dialogOf(event);
      pending.finish(validResponse(pending.request.kind, response));
    });
    ipcMain.handle(CHANNELS.status, () => this.status());
    ipcMain.handle(CHANNELS.settings, () => this.services.settings.view());
    ipcMain.handle(CHANNELS.saveSettings, (_event, update: unknown) =>
      this.services.settings.update(update),
    );
    ipcMain.handle(CHANNELS.revokeOrigin, (_event, origin: unknown) =>
      this.services.settings.revoke(origin),
    );
    ipcMain.handle(CHANNELS.runDoctor, () => this.services.runDoctor());
  }

  dispose(): void {
    this.unsubscribe?.();
    for (const channel of Object.values(CHANNELS)) ipcMain.removeHandler(channel);
    for (const pending of [...this.dialogs.values()]) pending.finish(null);
    for (const window of this.singletons.values()) if (!window.isDestroyed()) window.close();
    this.tray?.destroy();
    this.tray = undefined;
  }
}

/** A response from a page is untrusted input: wrong shapes count as cancel/refuse. */
export function validResponse(
  kind: DialogKind | NoticeKind,
  value: unknown,
): DialogResponse | null {
  if (kind === 'reader') return null; // a notice has nothing to answer: the page closes it
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r['kind'] !== kind) return null;
  if (kind === 'pin') {
    const pin = r['pin'];
    if (pin === null) return { kind, pin: null };
    return typeof pin === 'string' && pin.length > 0 && pin.length <= 256 ? { kind, pin } : null;
  }
  if (kind === 'origin')
    return typeof r['allow'] === 'boolean' ? { kind, allow: r['allow'] } : null;
  return typeof r['approve'] === 'boolean' ? { kind, approve: r['approve'] } : null;
}
