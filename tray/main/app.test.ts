/** The tray main process with Electron mocked: menus, IPC, window lifecycle, consent round trips. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CertificateInfo, TokenEvent, TokenInfo } from '../../agent/tokens/types.ts';
import { CHANNELS, type SettingsView } from '../bridge.ts';

import { fake } from './electron-fake.ts';

vi.mock('electron', async () => (await import('./electron-fake.ts')).electronModule);

const { TrayApp, validResponse } = await import('./app.ts');

type FakeWindow = InstanceType<typeof fake.FakeWindow>;

function token(label: string): TokenInfo {
  return {
    id: `m/${label}`,
    moduleId: 'm',
    slotId: '1',
    slotDescription: '',
    label,
    serialNumber: 'S',
    manufacturer: 'Feitian',
    model: 'ePass2003',
    present: true,
    loginRequired: true,
    protectedAuthenticationPath: false,
    hardwareSlot: true,
    removableDevice: true,
    pin: { countLow: false, finalTry: false, locked: false, toBeChanged: false, initialized: true },
    minPinLength: 6,
    maxPinLength: 16,
  };
}

const certificate = {
  id: 'c1',
  commonName: 'Nguyễn Văn Ánh',
  certificate: 'MIIB...',
  notAfter: '2029-01-01T00:00:00.000Z',
} as unknown as CertificateInfo;

let tokens: TokenInfo[];
let loaded: boolean;
let emitToken: ((e: TokenEvent) => void) | undefined;
let settingsUpdates: unknown[];
let app: InstanceType<typeof TrayApp>;

const settingsView: SettingsView = {
  adminOrigins: [],
  approvedOrigins: [],
  pinCache: { enabled: false, ttlSeconds: 300 },
  pinCacheAllowed: true,
  locale: 'vi',
};

function makeApp() {
  return new TrayApp({
    tokens: {
      listTokens: () => Promise.resolve(tokens),
      listCertificates: () => Promise.resolve([certificate]),
      modules: () => [{ id: 'm', path: '/m.so', state: loaded ? 'loaded' : 'failed' }],
      onEvent: (listener) => {
        emitToken = listener;
        return () => (emitToken = undefined);
      },
    },
    settings: {
      locale: () => 'vi',
      view: () => settingsView,
      update: (u) => {
        settingsUpdates.push(u);
        return settingsView;
      },
      revoke: () => settingsView,
    },
    runDoctor: () => Promise.reject(new Error('not in this test')),
    agent: () => ({ running: true, port: 51987 }),
    logDir: '/var/log/kyso',
    pagesDir: '/app/pages',
    preloadPath: '/app/preload.cjs',
  });
}

const tray = () => {
  if (!fake.FakeTray.last) throw new Error('no tray');
  return fake.FakeTray.last;
};
const menuItem = (id: string) => tray().menu?.items.find((i) => i.id === id);
const invoke = (channel: string, window: FakeWindow | null, ...args: unknown[]) => {
  const handler = fake.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return Promise.resolve().then(() =>
    handler({ sender: window?.webContents ?? { id: -1 } }, ...args),
  );
};
const lastWindow = () => {
  const w = fake.FakeWindow.all.at(-1);
  if (!w) throw new Error('no window');
  return w;
};
const tick = () => new Promise((r) => setTimeout(r, 0));
/** Centre pixel of the tray icon, as [r, g, b]. */
const iconColour = () => {
  const buf = tray().image.buf;
  const i = (16 * 32 + 16) * 4;
  return [buf[i + 2], buf[i + 1], buf[i]];
};

beforeEach(() => {
  app?.dispose();
  fake.FakeWindow.all = [];
  fake.handlers.clear();
  fake.shell.openPath.mockClear();
  fake.app.quit.mockClear();
  tokens = [token('VNPT-CA Lãnh đạo'), token('Con dấu')];
  loaded = true;
  settingsUpdates = [];
  app = makeApp();
  app.start();
});

describe('tray icon and menu', () => {
  it('shows ready with the token count, in Vietnamese by default', async () => {
    await app.refreshState();
    expect(app.currentState).toBe('ready');
    expect(tray().tooltip).toBe('Kyso: sẵn sàng ký số (2 thiết bị)');
    expect(iconColour()).toEqual([0x1f, 0x7a, 0x3a]);
    expect(tray().menu?.items.map((i) => i.label ?? '—')).toEqual([
      'Sẵn sàng ký số',
      '—',
      'Trạng thái…',
      'Chẩn đoán…',
      'Cài đặt…',
      '—',
      'Mở thư mục nhật ký',
      '—',
      'Thoát Kyso',
    ]);
    expect(menuItem('state')?.enabled).toBe(false);
  });

  it('turns to "no token" and "error" as the token service changes', async () => {
    tokens = [];
    emitToken?.({ type: 'tokens.changed', added: [], removed: [], tokens: [] });
    await tick();
    expect(app.currentState).toBe('no-token');
    expect(tray().tooltip).toBe('Kyso: chưa cắm thiết bị ký số');
    expect(menuItem('state')?.label).toBe('Chưa cắm thiết bị ký số');
    expect(iconColour()).toEqual([0x8a, 0x93, 0xa3]);
    loaded = false;
    expect(await app.refreshState()).toBe('error');
    expect(iconColour()).toEqual([0xb3, 0x26, 0x1e]);
    expect(menuItem('state')?.label).toBe('Có lỗi — xem Chẩn đoán');
  });

  it('opens one status, doctor and settings window each, with a locked-down renderer', () => {
    menuItem('status')?.click?.();
    const w = lastWindow();
    expect(w.loaded).toBe('/app/pages/status.html');
    expect(w.options['webPreferences']).toEqual({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(w.options['title']).toBe('Trạng thái — Kyso');
    expect(w.webContents.openHandler?.()).toEqual({ action: 'deny' });
    menuItem('status')?.click?.();
    expect(fake.FakeWindow.all).toHaveLength(1);
    menuItem('doctor')?.click?.();
    menuItem('settings')?.click?.();
    expect(fake.FakeWindow.all.map((x) => x.loaded)).toEqual([
      '/app/pages/status.html',
      '/app/pages/doctor.html',
      '/app/pages/settings.html',
    ]);
    w.close();
    menuItem('status')?.click?.();
    expect(fake.FakeWindow.all).toHaveLength(4);
  });

  it('shows the window once it is ready, and a tray click opens status', async () => {
    tray().emit('click');
    expect(lastWindow().visible).toBe(false);
    await tick();
    expect(lastWindow().visible).toBe(true);
    expect(lastWindow().loaded).toBe('/app/pages/status.html');
  });

  it('opens the log folder and quits', () => {
    menuItem('logs')?.click?.();
    expect(fake.shell.openPath).toHaveBeenCalledWith('/var/log/kyso');
    menuItem('quit')?.click?.();
    expect(fake.app.quit).toHaveBeenCalledOnce();
  });

  it('names a plugged-in token without software and what to install', () => {
    fake.FakeNotification.shown = [];
    const device = {
      usb: { vid: '0529', pid: '0620' },
      device: {
        id: 'x',
        vendor: 'Thales (SafeNet)',
        model: 'SafeNet eToken 5110',
        kind: 'token' as const,
        usb: [],
        atr: [],
        modules: [],
      },
      install: {
        moduleId: 'safenet-etoken',
        product: 'SAC',
        vi: 'Cài SafeNet Authentication Client.',
        en: 'Install SafeNet Authentication Client.',
      },
    };
    app.notifyModuleMissing(device);
    expect(fake.FakeNotification.shown).toEqual([
      {
        title: 'Chưa cài phần mềm cho thiết bị ký số',
        body: 'Thales (SafeNet) SafeNet eToken 5110: Cài SafeNet Authentication Client.',
      },
    ]);
  });

  it('switches language: menu, tooltip and every open window follow', async () => {
    await app.refreshState();
    menuItem('settings')?.click?.();
    const w = lastWindow();
    await invoke(CHANNELS.setLocale, w, 'en');
    expect(settingsUpdates).toEqual([{ locale: 'en' }]);
    expect(await invoke(CHANNELS.locale, w)).toBe('en');
    expect(menuItem('status')?.label).toBe('Status…');
    expect(tray().tooltip).toBe('Kyso: ready to sign (2 tokens)');
    expect(w.webContents.sent).toContainEqual([CHANNELS.localeChanged, 'en']);
    await expect(invoke(CHANNELS.setLocale, w, 'fr')).rejects.toThrow(/invalid locale/);
  });

  it('serves the status view without certificate bodies', async () => {
    const view = (await invoke(CHANNELS.status, null)) as {
      certificates: Record<string, unknown>[];
    };
    expect(view.certificates[0]?.['commonName']).toBe('Nguyễn Văn Ánh');
    expect(view.certificates[0]).not.toHaveProperty('certificate');
  });
});

describe('consent round trips', () => {
  const pinRequest = () => ({
    token: token('VNPT-CA'),
    certificate,
    origin: 'https://vanban.example.gov.vn',
  });
  const signingRequest = () => ({
    origin: 'https://vanban.example.gov.vn',
    certificate,
    token: token('VNPT-CA'),
    kind: 'pdf' as const,
    documents: [
      { name: 'QD-123.pdf', hashAlgorithm: 'SHA-256' as const, digestHex: 'ab'.repeat(32) },
    ],
  });

  it('asks for a PIN in a dialog and returns what the user typed', async () => {
    const pending = app.consent().askPin(pinRequest(), new AbortController().signal);
    const w = lastWindow();
    expect(w.loaded).toBe('/app/pages/pin.html');
    expect(w.options['alwaysOnTop']).toBe(true);
    expect(w.options['title']).toBe('Nhập mã PIN — Kyso');
    expect(await invoke(CHANNELS.dialogRequest, w)).toEqual({ kind: 'pin', request: pinRequest() });
    await invoke(CHANNELS.dialogRespond, w, { kind: 'pin', pin: '123456' });
    expect(await pending).toBe('123456');
    expect(w.isDestroyed()).toBe(true);
  });

  it('shows the PIN-pad notice in a window with no answer, and closes it when signed', async () => {
    const request = pinRequest();
    const prompt = app.consent().readerPinPrompt?.(request, new AbortController().signal);
    const w = lastWindow();
    expect(w.loaded).toBe('/app/pages/reader.html');
    expect(w.options['alwaysOnTop']).toBe(true);
    expect(w.options['title']).toBe('Nhập mã PIN trên đầu đọc — Kyso');
    expect(await invoke(CHANNELS.dialogRequest, w)).toEqual({ kind: 'reader', request });
    expect(w.isDestroyed()).toBe(false);
    prompt?.close('done');
    expect(w.isDestroyed()).toBe(true);
    prompt?.close('failed'); // once only
  });

  it('closes the PIN-pad notice when the request goes away, and ignores answers to it', async () => {
    const abort = new AbortController();
    app.consent().readerPinPrompt?.(pinRequest(), abort.signal);
    const w = lastWindow();
    await invoke(CHANNELS.dialogRespond, w, { kind: 'pin', pin: '123456' });
    expect(w.isDestroyed()).toBe(true);
    const again = app.consent().readerPinPrompt?.(pinRequest(), abort.signal);
    const second = lastWindow();
    abort.abort();
    expect(second.isDestroyed()).toBe(true);
    again?.close('aborted');
  });

  it('returns null when the user cancels the PIN', async () => {
    const pending = app.consent().askPin(pinRequest(), new AbortController().signal);
    await invoke(CHANNELS.dialogRespond, lastWindow(), { kind: 'pin', pin: null });
    expect(await pending).toBeNull();
  });

  it('approves and refuses origins and signings', async () => {
    const consent = app.consent();
    const origin = consent.approveOrigin(
      { origin: 'https://a.gov.vn' },
      new AbortController().signal,
    );
    await invoke(CHANNELS.dialogRespond, lastWindow(), { kind: 'origin', allow: true });
    expect(await origin).toBe(true);
    const refused = consent.approveOrigin(
      { origin: 'https://b.example' },
      new AbortController().signal,
    );
    await invoke(CHANNELS.dialogRespond, lastWindow(), { kind: 'origin', allow: false });
    expect(await refused).toBe(false);
    const signing = consent.approveSigning(signingRequest(), new AbortController().signal);
    expect(lastWindow().loaded).toBe('/app/pages/signing.html');
    await invoke(CHANNELS.dialogRespond, lastWindow(), { kind: 'signing', approve: true });
    expect(await signing).toBe(true);
  });

  it('treats closing the window as refusal', async () => {
    const signing = app.consent().approveSigning(signingRequest(), new AbortController().signal);
    lastWindow().close();
    expect(await signing).toBe(false);
  });

  it('closes the dialog when the requesting connection goes away', async () => {
    const abort = new AbortController();
    const pending = app.consent().askPin(pinRequest(), abort.signal);
    const w = lastWindow();
    abort.abort();
    expect(await pending).toBeNull();
    expect(w.isDestroyed()).toBe(true);
    // A late answer from the closed page is ignored.
    await expect(invoke(CHANNELS.dialogRespond, w, { kind: 'pin', pin: '1' })).rejects.toThrow(
      /no dialog/,
    );
  });

  it('never opens a window for an already aborted request', async () => {
    const abort = new AbortController();
    abort.abort();
    expect(await app.consent().approveOrigin({ origin: 'https://a.gov.vn' }, abort.signal)).toBe(
      false,
    );
    expect(fake.FakeWindow.all).toHaveLength(0);
  });

  it('counts malformed answers as cancel, and answers only the window that asked', async () => {
    const consent = app.consent();
    const a = consent.askPin(pinRequest(), new AbortController().signal);
    const first = lastWindow();
    const b = consent.approveOrigin({ origin: 'https://a.gov.vn' }, new AbortController().signal);
    const second = lastWindow();
    await invoke(CHANNELS.dialogRespond, second, { kind: 'pin', pin: '999999' });
    expect(await b).toBe(false);
    await invoke(CHANNELS.dialogRespond, first, { kind: 'pin', pin: 123456 });
    expect(await a).toBeNull();
    await expect(invoke(CHANNELS.dialogRequest, null)).rejects.toThrow(/no dialog/);
  });

  it('cancels open dialogs and removes IPC handlers on dispose', async () => {
    const pending = app.consent().askPin(pinRequest(), new AbortController().signal);
    app.dispose();
    expect(await pending).toBeNull();
    expect(fake.handlers.size).toBe(0);
    expect(tray().destroyed).toBe(true);
  });
});

describe('validResponse', () => {
  it('has nothing to accept from the reader notice', () => {
    expect(validResponse('reader', { kind: 'reader' })).toBeNull();
  });

  it('accepts only the shape of the dialog kind', () => {
    expect(validResponse('pin', { kind: 'pin', pin: '1234' })).toEqual({
      kind: 'pin',
      pin: '1234',
    });
    expect(validResponse('pin', { kind: 'pin', pin: '' })).toBeNull();
    expect(validResponse('pin', { kind: 'pin', pin: 'x'.repeat(300) })).toBeNull();
    expect(validResponse('origin', { kind: 'origin', allow: 'yes' })).toBeNull();
    expect(validResponse('signing', { kind: 'signing', approve: false })).toEqual({
      kind: 'signing',
      approve: false,
    });
    expect(validResponse('signing', null)).toBeNull();
  });
});
