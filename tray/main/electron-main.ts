/**
 * Electron entry of the tray app: starts the token service, hot-plug, the signing endpoint
 * with the tray as its consent provider, and the tray icon. The headless agent (`kyso start`)
 * is the same server without this file. tray/build.ts writes the pages, the preload and a
 * tray/dist/main.mjs that loads this file through tsx.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import {
  configPaths,
  defaultConfigDir,
  loadConfig,
  OriginStore,
} from '../../agent/config/index.ts';
import { ConsentQueue, type ConsentProvider } from '../../agent/consent/index.ts';
import { modulesToLoad, startHotplug } from '../../agent/devices/index.ts';
import { checkPort, runDoctor } from '../../agent/doctor/index.ts';
import { Journal } from '../../agent/journal/index.ts';
import { AgentServer } from '../../agent/server/index.ts';
import { startTokenService } from '../../agent/tokens/index.ts';
import { TrayApp } from './app.ts';
import { TraySettings } from './settings.ts';

/** Built pages and preload: next to main.mjs (tray/build.ts sets this), else tray/dist. */
const dist =
  process.env.KYSO_TRAY_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** One consent dialog at a time, in request order (several tokens, several tabs). */
function serialised(inner: ConsentProvider): ConsentProvider {
  const queue = new ConsentQueue();
  return {
    approveOrigin: (request, signal) =>
      queue.run(signal, () => inner.approveOrigin(request, signal)),
    approveSigning: (request, signal) =>
      queue.run(signal, () => inner.approveSigning(request, signal)),
    askPin: (request, signal) => queue.run(signal, () => inner.askPin(request, signal)),
  };
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  const configDir = defaultConfigDir();
  const paths = configPaths(configDir);
  const logDir = join(configDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = (line: string) =>
    appendFileSync(join(logDir, 'agent.log'), `${new Date().toISOString()} ${line}\n`);

  const settings = new TraySettings(configDir);
  const config = loadConfig(paths.config);
  const modules = modulesToLoad(config.modules);
  const tokens = await startTokenService({ modules, pollIntervalMs: 1000 });
  const hotplug = startHotplug({ tokens });
  log(`hot-plug: ${hotplug.mode}${hotplug.reason ? ` (${hotplug.reason})` : ''}`);
  let running = false;
  const tray = new TrayApp({
    tokens,
    settings,
    runDoctor: () =>
      runDoctor({
        configDir,
        // The port is ours while the server listens; otherwise probe who holds it.
        portState: (port) =>
          running
            ? Promise.resolve({
                state: 'in-use',
                owner: { pid: process.pid, command: 'kyso tray' },
              })
            : checkPort(port),
      }),
    agent: () => ({ running, port: config.port }),
    logDir,
    pagesDir: join(dist, 'pages'),
    preloadPath: join(dist, 'preload.cjs'),
  });
  const journal = new Journal(paths.journal, config.journal);
  const server = new AgentServer({
    config: { ...config, pinCache: settings.effectivePinCache() },
    tokens,
    consent: serialised(tray.consent()),
    journal,
    originStore: new OriginStore(paths.origins),
    log,
  });
  tray.start();
  hotplug.onEvent((event) => {
    if (event.type === 'device.module-missing') tray.notifyModuleMissing(event.device);
    if (event.type === 'rescan.failed') log(`rescan failed: ${event.error}`);
  });
  for (const device of hotplug.devices())
    if (!device.installedModule) tray.notifyModuleMissing(device);
  try {
    await server.listen(config.port);
    running = true;
  } catch (error) {
    log(`listen failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  void tray.refreshState();

  // A tray app keeps running with no window open.
  app.on('window-all-closed', () => undefined);
  app.on('second-instance', () => tray.openWindow('status'));
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopping) return;
    stopping = true;
    event.preventDefault();
    void (async () => {
      tray.dispose();
      hotplug.close();
      await server.close();
      await journal.close();
      await tokens.close();
      app.exit(0);
    })();
  });
}

void main();
