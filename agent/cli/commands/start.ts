/**
 * `kyso start`: runs the signing endpoint in the foreground until SIGINT/SIGTERM. Wires the
 * real parts (token service, consent provider, journal) into the server, prints one line
 * when ready, and stops cleanly (sockets closed, cached logins logged out, journal synced).
 */
import { startAgent } from '../../app/index.ts';
import { loadConfig } from '../../config/index.ts';
import {
  hasTerminal,
  ScriptedConsent,
  TerminalConsent,
  type ConsentProvider,
} from '../../consent/index.ts';
import { modulesToLoad } from '../../devices/index.ts';
import { KysoError } from '../../errors/index.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../server/index.ts';
import type { Command } from '../command.ts';
import { configFileOf, TOKEN_OPTIONS_HELP, withTokenOptions } from '../token-context.ts';

function port(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new KysoError('INVALID_INPUT', { field: flag, problem: 'a port number 0-65535' });
  }
  return n;
}

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the signing endpoint for web apps (ws://127.0.0.1:51987)',
  help: `kyso start [--port N] [--config FILE] [--module PATH]... [--consent-script FILE]
           [--demo] [--demo-port N (default 51988)] [--json]

Runs Kyso Agent in the foreground on 127.0.0.1 and ::1 (default port 51987) until Ctrl+C.
Consent (website approval, signing approval, PIN) is asked on this terminal.

${TOKEN_OPTIONS_HELP}
  --consent-script FILE  answer consent from FILE instead of asking (tests, automation only;
                         a warning is printed). See docs/security.md.
  --demo                 also serve the demo document system on a loopback port and allow
                         its origin for this run
  --json                 print the ready line as JSON`,
  options: withTokenOptions({ values: ['port', 'consent-script', 'demo-port'], flags: ['demo'] }),
  async run(args) {
    const configFile = configFileOf(args);
    const config = loadConfig(configFile);
    const listenPort = port(args.get('port'), '--port') ?? config.port;
    const modules = modulesToLoad(
      args.all('module').length > 0 ? args.all('module') : config.modules,
    );
    const log = (line: string) => process.stderr.write(`kyso: ${line}\n`);

    const scriptFile = args.get('consent-script');
    const consent: ConsentProvider = scriptFile
      ? ScriptedConsent.fromFile(scriptFile)
      : new TerminalConsent();
    if (!scriptFile && !hasTerminal()) {
      log(
        'CẢNH BÁO / WARNING: không có cửa sổ dòng lệnh để hỏi người dùng; mọi yêu cầu ký sẽ bị từ chối. ' +
          '/ no terminal to ask the user on: every signing request will be refused (use the tray app).',
      );
    }
    const agent = await startAgent({ config, configFile, modules, consent, log });
    const { server } = agent;
    let demo: { url: string; close(): Promise<void> } | undefined;
    try {
      const { port: bound, addresses } = await server.listen(listenPort);
      if (args.flags.has('demo')) {
        const { startDemoServer, DEFAULT_DEMO_PORT } = await import('../../../demo/serve.ts');
        demo = await startDemoServer({
          port: port(args.get('demo-port'), '--demo-port') ?? DEFAULT_DEMO_PORT,
          agentUrl: `ws://127.0.0.1:${bound}`,
        });
        server.allowOrigin(new URL(demo.url).origin);
      }
      const urls = addresses.map((a) => `ws://${a}`);
      // Ready with a module down is still ready, but the user must see which one and why.
      const modules = agent.tokens.modules();
      const failed = modules.filter((m) => m.state !== 'loaded');
      if (args.flags.has('json')) {
        process.stdout.write(
          JSON.stringify({
            ready: true,
            version: AGENT_VERSION,
            protocolVersion: PROTOCOL_VERSION,
            port: bound,
            urls,
            journal: agent.journalFile,
            modules: modules.map((m) => ({
              path: m.path,
              state: m.state,
              ...(m.error ? { error: m.error.code } : {}),
            })),
            ...(demo ? { demo: demo.url } : {}),
          }) + '\n',
        );
      } else {
        process.stdout.write(
          `Kyso Agent ${AGENT_VERSION} sẵn sàng / ready: ${urls.join(' ')} (protocol ${PROTOCOL_VERSION})` +
            (demo ? ` demo: ${demo.url}` : '') +
            `\n  Mô-đun PKCS#11 / PKCS#11 modules: ${modules.length - failed.length}/${modules.length} đã nạp / loaded\n` +
            failed
              .map(
                (m) =>
                  `  LỖI / FAILED: ${m.path} (${m.error?.code ?? m.state}) — chạy "kyso doctor" để biết cách sửa / run "kyso doctor" for the fix\n`,
              )
              .join(''),
        );
      }
    } catch (error) {
      await demo?.close();
      await agent.close();
      throw error;
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    log(`${signal}: đang dừng / stopping`);
    await demo?.close();
    await agent.close();
    if (consent instanceof TerminalConsent) consent.close();
    log('đã dừng / stopped');
    return 0;
  },
};
