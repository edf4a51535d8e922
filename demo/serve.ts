/**
 * Serves the demo document system on a loopback origin (default http://127.0.0.1:51988):
 * the page, its script, and the SDK bundled on the fly. Run alone with
 * `node --import tsx demo/serve.ts [--port N] [--agent ws://127.0.0.1:51987]`, or via
 * `kyso start --demo`, which also allows the demo's origin for that run.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KysoError } from '../agent/errors/index.ts';
import { buildClient, buildClientTypes } from './build-client.ts';

export const DEFAULT_DEMO_PORT = 51988;

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};

export async function startDemoServer(options: {
  port?: number;
  agentUrl?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const client = await buildClient();
  let types: string | undefined; // 2 s of TypeScript: only when someone asks

  const config = `export const agentUrl = ${JSON.stringify(options.agentUrl ?? 'ws://127.0.0.1:51987')};\n`;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, {
        'Content-Type': type,
        'Cache-Control': 'no-store',
        'Content-Security-Policy':
          "default-src 'self'; style-src 'self' 'unsafe-inline'; " +
          'connect-src ws://127.0.0.1:* ws://localhost:* ws://[::1]:* http://127.0.0.1:* http://localhost:* http://[::1]:*',
      });
      res.end(body);
    };
    if (path === '/kyso-client.js') return send(200, 'text/javascript; charset=utf-8', client);
    if (path === '/kyso-client.d.ts') {
      types ??= buildClientTypes();
      return send(200, 'text/plain; charset=utf-8', types);
    }
    if (path === '/config.js') return send(200, 'text/javascript; charset=utf-8', config);
    if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
    const entry = FILES[path];
    if (!entry) return send(404, 'text/plain', 'not found');
    readFile(new URL(entry.file, import.meta.url), 'utf8').then(
      (body) => send(200, entry.type, body),
      () => send(500, 'text/plain', 'error'),
    );
  });
  const port = options.port ?? DEFAULT_DEMO_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new KysoError('PORT_IN_USE', { port, what: 'demo page (--demo-port)' })
          : error,
      ),
    );
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, agent: { type: 'string' } },
  });
  const demo = await startDemoServer({
    port: values.port ? Number(values.port) : DEFAULT_DEMO_PORT,
    ...(values.agent ? { agentUrl: values.agent } : {}),
  });
  process.stdout.write(`Kyso demo: ${demo.url}\n`);
  const stop = () => void demo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
