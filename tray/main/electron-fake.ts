/**
 * A stand-in for the parts of Electron the tray uses (Tray, Menu, BrowserWindow, ipcMain,
 * app, nativeImage, shell, Notification), recording what the code does. Tests install it
 * with vi.mock('electron', ...) and inspect it; the real Electron binary is not needed.
 */
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

function create() {
  class Emitter {
    private readonly listeners = new Map<string, Listener[]>();
    on(event: string, fn: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Listener) {
      const wrapped: Listener = (...args) => {
        this.listeners.set(
          event,
          (this.listeners.get(event) ?? []).filter((f) => f !== wrapped),
        );
        fn(...args);
      };
      return this.on(event, wrapped);
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(event) ?? []) fn(...args);
    }
  }
  let nextId = 1;
  class FakeWebContents extends Emitter {
    readonly id = nextId++;
    readonly sent: unknown[][] = [];
    openHandler: (() => unknown) | undefined;
    send(channel: string, ...args: unknown[]) {
      this.sent.push([channel, ...args]);
    }
    setWindowOpenHandler(fn: () => unknown) {
      this.openHandler = fn;
    }
  }
  class FakeWindow extends Emitter {
    static all: FakeWindow[] = [];
    readonly webContents = new FakeWebContents();
    loaded: string | undefined;
    visible = false;
    destroyed = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      FakeWindow.all.push(this);
    }
    loadFile(path: string) {
      this.loaded = path;
      queueMicrotask(() => this.emit('ready-to-show'));
      return Promise.resolve();
    }
    show() {
      this.visible = true;
    }
    focus() {}
    isDestroyed() {
      return this.destroyed;
    }
    close() {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit('closed');
    }
    static getAllWindows() {
      return FakeWindow.all.filter((w) => !w.destroyed);
    }
  }
  class FakeTray extends Emitter {
    static last: FakeTray | undefined;
    tooltip = '';
    menu:
      | { items: { id?: string; label?: string; enabled?: boolean; click?: () => void }[] }
      | undefined;
    destroyed = false;
    constructor(public image: { buf: Buffer }) {
      super();
      FakeTray.last = this;
    }
    setImage(image: { buf: Buffer }) {
      this.image = image;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: FakeTray['menu']) {
      this.menu = menu;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  class FakeNotification {
    static shown: { title: string; body: string }[] = [];
    constructor(private readonly options: { title: string; body: string }) {}
    static isSupported() {
      return true;
    }
    show() {
      FakeNotification.shown.push(this.options);
    }
  }
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  return {
    FakeWindow,
    FakeTray,
    FakeNotification,
    handlers,
    ipcMain: {
      handle(channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, fn);
      },
      removeHandler(channel: string) {
        handlers.delete(channel);
      },
    },
    Menu: { buildFromTemplate: (items: unknown[]) => ({ items }) },
    nativeImage: { createFromBitmap: (buf: Buffer, opts: unknown) => ({ buf, opts }) },
    shell: { openPath: vi.fn(() => Promise.resolve('')) },
    app: Object.assign(new Emitter(), {
      quit: vi.fn(),
      exit: vi.fn(),
      requestSingleInstanceLock: vi.fn(() => true),
      whenReady: vi.fn(() => Promise.resolve()),
    }),
  };
}

export const fake = create();

/** The module object `import ... from 'electron'` resolves to under vi.mock. */
export const electronModule = {
  BrowserWindow: fake.FakeWindow,
  Tray: fake.FakeTray,
  Notification: fake.FakeNotification,
  ipcMain: fake.ipcMain,
  Menu: fake.Menu,
  nativeImage: fake.nativeImage,
  shell: fake.shell,
  app: fake.app,
};
