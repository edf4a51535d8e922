/**
 * The tray's Electron entry wired for real (config, token service, hot-plug, signing server,
 * tray consent) with only Electron faked: a website connecting over WebSocket makes the tray
 * open its approval window, and the answer given in that window decides the connection.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { CHANNELS } from '../bridge.ts';
import { fake } from './electron-fake.ts';

vi.mock('electron', async () => (await import('./electron-fake.ts')).electronModule);

const dir = mkdtempSync(join(tmpdir(), 'kyso-tray-main-'));
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until<T>(fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const invoke = (channel: string, sender: unknown, ...args: unknown[]) => {
  const handler = fake.handlers.get(channel);
  if (!handler) throw new Error(`no handler ${channel}`);
  return Promise.resolve().then(() => handler({ sender }, ...args));
};

function connect(origin: string): {
  socket: WebSocket;
  messages: unknown[];
  opened: Promise<void>;
  closed: Promise<number>;
} {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { headers: { Origin: origin } });
  const messages: unknown[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const opened = new Promise<void>((resolve) => socket.once('open', () => resolve()));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  return { socket, messages, opened, closed };
}

beforeAll(async () => {
  port = await freePort();
  // A module that cannot load: no PKCS#11 token is touched, the tray shows its error state.
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ port, modules: [join(dir, 'libmissing.so')] }),
  );
  process.env.KYSO_CONFIG_DIR = dir;
  process.env.KYSO_TRAY_DIST = '/opt/kyso/tray';
  await import('./electron-main.ts');
  await until(() => fake.FakeTray.last);
  await until(() => readFileSync(join(dir, 'logs', 'agent.log'), 'utf8').includes('hot-plug'));
});

afterAll(async () => {
  fake.app.emit('before-quit', { preventDefault: () => undefined });
  await until(() => fake.app.exit.mock.calls.length > 0);
  delete process.env.KYSO_CONFIG_DIR;
  delete process.env.KYSO_TRAY_DIST;
});

describe('tray entry point', () => {
  it('starts the tray in its error state when no token library loads, and logs the hot-plug mode', async () => {
    const tray = fake.FakeTray.last;
    await until(() => tray?.menu?.items[0]?.label === 'Có lỗi — xem Chẩn đoán');
    expect(tray?.tooltip).toBe('Kyso: có lỗi, mở Chẩn đoán để xem');
    expect(readFileSync(join(dir, 'logs', 'agent.log'), 'utf8')).toMatch(/hot-plug: (usb|polling)/);
    expect(fake.app.requestSingleInstanceLock).toHaveBeenCalled();
  });

  it('asks in the tray before a new website may use the agent, and lets it in when allowed', async () => {
    const client = connect('https://vanban.example.gov.vn');
    const window = await until(() =>
      fake.FakeWindow.all.find((w) => w.loaded?.endsWith('origin.html')),
    );
    expect(window.loaded).toBe('/opt/kyso/tray/pages/origin.html');
    expect(await invoke(CHANNELS.dialogRequest, window.webContents)).toEqual({
      kind: 'origin',
      request: { origin: 'https://vanban.example.gov.vn' },
    });
    await client.opened;
    client.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'agent.info', params: {} }));
    await invoke(CHANNELS.dialogRespond, window.webContents, { kind: 'origin', allow: true });
    const reply = (await until(() =>
      client.messages.find((m) => (m as { id?: number }).id === 1),
    )) as {
      result?: { version?: string };
    };
    expect(reply.result?.version).toBeDefined();
    expect(window.isDestroyed()).toBe(true);
    client.socket.close();
  });

  it('closes the approval window when the website goes away before the user answers', async () => {
    const before = fake.FakeWindow.all.length;
    const client = connect('https://other.example.vn');
    const window = await until(() =>
      fake.FakeWindow.all.slice(before).find((w) => w.loaded?.endsWith('origin.html')),
    );
    await client.opened;
    client.socket.terminate();
    await until(() => window.isDestroyed());
  });

  it('refuses a website the user denies', async () => {
    const before = fake.FakeWindow.all.length;
    const client = connect('https://phishing.example.com');
    const window = await until(() =>
      fake.FakeWindow.all.slice(before).find((w) => w.loaded?.endsWith('origin.html')),
    );
    await invoke(CHANNELS.dialogRespond, window.webContents, { kind: 'origin', allow: false });
    expect(await client.closed).toBe(4003);
  });
});
