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
import { startAgent } from '../../agent/app/index.ts';
import { configPaths, defaultConfigDir, loadConfig } from '../../agent/config/index.ts';
import { ConsentQueue, type ConsentProvider } from '../../agent/consent/index.ts';
import { modulesToLoad } from '../../agent/devices/index.ts';
import { checkPort, runDoctor } from '../../agent/doctor/index.ts';
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
  let running = false;
  let created: TrayApp | undefined;
  // The same wiring as `kyso start`, with the tray's windows as the consent provider.
  const agent = await startAgent({
    config,
    configFile: paths.config,
    modules: modulesToLoad(config.modules),
    pinCache: settings.effectivePinCache(),
    log,
    consent: (tokens) => {
      created = new TrayApp({
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
      return serialised(created.consent());
    },
  });
  const { hotplug, server } = agent;
  // Assigned in the consent factory, which startAgent has called by now.
  const tray = created as TrayApp | undefined;
  if (!tray) throw new Error('tray not created');
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
      await agent.close();
      app.exit(0);
    })();
  });
}

void main();
