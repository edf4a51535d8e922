/**
 * Serves the demo document system on a loopback origin (default http://127.0.0.1:51988):
 * the page, its script, the SDK bundled on the fly, the sample decision PDF with the demo
 * signature and seal images, and pdf.js (pdfjs-dist's built module and worker) for previews. Run alone with
 * `node --import tsx demo/serve.ts [--port N] [--agent ws://127.0.0.1:51987]`, or via
 * `kyso start --demo`, which also allows the demo's origin for that run.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KysoError } from '../agent/errors/index.ts';
import { buildClient, buildClientTypes } from './build-client.ts';

export const DEFAULT_DEMO_PORT = 51988;

const JS = 'text/javascript; charset=utf-8';
/** pdf.js for the page: beside the built agent (dist/pdfjs/), else from the sources' packages. */
const pdfjs = (name: string): URL => {
  const built = new URL(`./pdfjs/${name}`, import.meta.url);
  return existsSync(built)
    ? built
    : new URL(`../node_modules/pdfjs-dist/build/${name}`, import.meta.url);
};

/** Static files: the page, its script, the sample document and images, pdf.js. */
const FILES: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/app.js': { file: new URL('app.js', import.meta.url), type: JS },
  '/sample.pdf': {
    file: new URL('../assets/demo/quyet-dinh-mau.pdf', import.meta.url),
    type: 'application/pdf',
  },
  '/signature.png': {
    file: new URL('../assets/demo/signature.png', import.meta.url),
    type: 'image/png',
  },
  '/seal.png': { file: new URL('../assets/demo/seal.png', import.meta.url), type: 'image/png' },
  '/pdfjs/pdf.min.mjs': { file: pdfjs('pdf.min.mjs'), type: JS },
  '/pdfjs/pdf.worker.min.mjs': { file: pdfjs('pdf.worker.min.mjs'), type: JS },
};

/**
 * The page's policy: scripts, workers and images only from the demo itself (pdf.js renders to
 * canvas; downloads are blob: links), connections only to loopback (the agent).
 */
export const DEMO_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "worker-src 'self'; " +
  // Chromium's CSP has no IPv6 literal host sources: [::1] would be an error in the console.
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:* http://127.0.0.1:* http://localhost:*";

export async function startDemoServer(options: {
  port?: number;
  agentUrl?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const client = await buildClient();
  let types: string | undefined; // 2 s of TypeScript: only when someone asks

  const config = `export const agentUrl = ${JSON.stringify(options.agentUrl ?? 'ws://127.0.0.1:51987')};\n`;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, {
        'Content-Type': type,
        'Cache-Control': 'no-store',
        'Content-Security-Policy': DEMO_CSP,
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
    readFile(entry.file).then(
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
