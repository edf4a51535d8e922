/**
 * The browser SDK's connection diagnosis, in Debian's Chromium: each way a page can fail to
 * reach Kyso Agent gets its own code (and vi/en text), never the wrong one.
 * - nothing on the port: AGENT_NOT_RUNNING;
 * - another program's HTTP or WebSocket server on the port: PORT_IN_USE_BY_OTHER_PROGRAM;
 * - the agent refuses the page's origin (dialog refused, refusal memory, or an HTTP 403 with
 *   the refusal body): ORIGIN_NOT_ALLOWED, with when to retry;
 * - the browser's local network access checks block the page: LOCAL_NETWORK_ACCESS_BLOCKED;
 * - the version handshake: AGENT_UPDATE_REQUIRED / PAGE_UPDATE_REQUIRED.
 */
import { createServer, type Server } from 'node:http';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, launchChromiumContext } from './chromium.ts';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../agent/protocol/index.ts';
import { startDemoServer } from '../demo/serve.ts';
import { startTestAgent, type TestAgent } from './server-harness.ts';

let agent: TestAgent;
let browser: Browser;
let demo: { url: string; close(): Promise<void> };
const servers: Server[] = [];

beforeAll(async () => {
  agent = await startTestAgent();
  demo = await startDemoServer({ port: 0, agentUrl: agent.url });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await agent?.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

interface Outcome {
  code: string;
  vi: string;
  en: string;
  details: Record<string, unknown>;
}

/** A page of the demo's origin with nothing running but the SDK (no app.js). */
async function sdkPage(
  context: Browser | BrowserContext = browser,
  base = demo.url,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL('/kyso-client.js', base).href);
  return page;
}

/** Runs `script` (the body of an async function with `sdk` and `url` in scope) in the page. */
async function run(page: Page, url: string, script: string): Promise<unknown> {
  // A string, so the test runner does not rewrite the browser's dynamic import().
  return page.evaluate(`(async () => {
    const sdk = await import('/kyso-client.js');
    const url = ${JSON.stringify(url)};
    ${script}
  })()`);
}

async function connectOutcome(page: Page, url: string): Promise<Outcome> {
  return (await run(
    page,
    url,
    `try {
      const kyso = new sdk.KysoClient({ url, connectTimeoutMs: 5000, timeoutMs: 10000 });
      await kyso.connect();
      kyso.close();
      return { code: 'CONNECTED', vi: '', en: '', details: {} };
    } catch (error) {
      return { code: error.code, vi: error.messages.vi, en: error.messages.en, details: error.details };
    }`,
  )) as Outcome;
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A stand-in agent: a WebSocket server answering agent.info as `answer` says. */
async function fakeAgent(answer: (id: number, params: unknown) => object): Promise<string> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) =>
    socket.on('message', (data: Buffer) => {
      const request = JSON.parse(data.toString('utf8')) as { id: number; params?: unknown };
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', id: request.id, ...answer(request.id, request.params) }),
      );
    }),
  );
  return `ws://127.0.0.1:${await listen(http)}`;
}

const kysoInfo = (protocolVersion: string, methods?: string[]) => ({
  result: {
    agent: 'Kyso Agent',
    version: '9.9.9',
    protocolVersion,
    origin: 'x',
    methods: methods ?? ['agent.info', 'sign.pdf', 'sign.pdfs', 'verify.pdf'],
    notifications: ['tokens.changed'],
    limits: { maxPayloadBytes: 1, maxInFlight: 1, maxBatchItems: 1 },
    pinCache: { enabled: false, ttlSeconds: 0 },
  },
});

describe('the SDK in Chromium tells each connection failure apart', () => {
  it('AGENT_NOT_RUNNING when nothing listens on the port', async () => {
    const page = await sdkPage();
    const outcome = await connectOutcome(page, `ws://127.0.0.1:${await closedPort()}`);
    expect(outcome).toMatchObject({ code: 'AGENT_NOT_RUNNING', vi: catalog.AGENT_NOT_RUNNING.vi });
    await page.close();
  });

  it('PORT_IN_USE_BY_OTHER_PROGRAM when another program serves plain HTTP on the port', async () => {
    const page = await sdkPage();
    // A web server without CORS (what most programs are): the page sees only an opaque answer.
    const plain = await listen(
      createServer((_req, res) =>
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Hi</h1>'),
      ),
    );
    const opaque = await connectOutcome(page, `ws://127.0.0.1:${plain}`);
    expect(opaque).toMatchObject({
      code: 'PORT_IN_USE_BY_OTHER_PROGRAM',
      vi: catalog.PORT_IN_USE_BY_OTHER_PROGRAM.vi,
      details: { health: 'opaque' },
    });
    // A JSON API open to every origin, which is not Kyso's /health.
    const api = await listen(
      createServer((_req, res) =>
        res
          .writeHead(200, {
            'Content-Type': 'application/json',
            'Access-Control-Allow-Origin': '*',
          })
          .end('{"status":"ok"}'),
      ),
    );
    expect((await connectOutcome(page, `ws://127.0.0.1:${api}`)).code).toBe(
      'PORT_IN_USE_BY_OTHER_PROGRAM',
    );
    await page.close();
  });

  it('PORT_IN_USE_BY_OTHER_PROGRAM when another program runs a WebSocket server on the port', async () => {
    const page = await sdkPage();
    const make = async (onConnection: (socket: import('ws').WebSocket) => void) => {
      const http = createServer((_req, res) => res.writeHead(404).end());
      new WebSocketServer({ server: http }).on('connection', onConnection);
      return `ws://127.0.0.1:${await listen(http)}`;
    };
    // An echo server sends our own request back.
    const echo = await make((s) => s.on('message', (d: Buffer) => s.send(d.toString('utf8'))));
    // Another program's protocol greets first.
    const greeter = await make((s) => s.send('{"type":"hello","app":"OtherSigner"}'));
    // A server that hangs up on what it does not understand.
    const hangup = await make((s) => s.on('message', () => s.close(1003, 'unsupported')));
    // A JSON-RPC server of another program: no Kyso error data.
    const rpc = await make((s) =>
      s.on('message', (d: Buffer) => {
        const { id } = JSON.parse(d.toString('utf8')) as { id: number };
        s.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id,
            error: { code: -32601, message: 'Method not found' },
          }),
        );
      }),
    );
    for (const url of [echo, greeter, hangup, rpc]) {
      expect((await connectOutcome(page, url)).code, url).toBe('PORT_IN_USE_BY_OTHER_PROGRAM');
    }
    await page.close();
  });

  it('ORIGIN_NOT_ALLOWED when the user refuses the page, and while the agent remembers the refusal, with when to retry', async () => {
    // The test agent's consent refuses every origin but its own TEST_ORIGIN.
    const refusedDemo = await startDemoServer({ port: 0, agentUrl: agent.url });
    try {
      const page = await sdkPage(browser, refusedDemo.url);
      const first = await connectOutcome(page, agent.url);
      expect(first).toMatchObject({
        code: 'ORIGIN_NOT_ALLOWED',
        vi: catalog.ORIGIN_NOT_ALLOWED.vi,
      });
      expect(first.details.retryAfterSeconds).toBeGreaterThan(500);
      // Refusal memory: not asked again, told again, with the time left.
      const again = await connectOutcome(page, agent.url);
      expect(again.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(again.details.retryAfterSeconds).toBeLessThanOrEqual(
        first.details.retryAfterSeconds as number,
      );
      expect(agent.consent.log.filter((e) => e.kind === 'origin')).toHaveLength(1);
      // The agent's /health tells the refused page too (readable: a 403 with the refusal body),
      // so a socket the browser could not open is still diagnosed as a refusal.
      const diagnosis = (await run(page, agent.url, 'return sdk.diagnoseConnection(url);')) as {
        code: string;
        details: Record<string, unknown>;
      };
      expect(diagnosis).toMatchObject({
        code: 'ORIGIN_NOT_ALLOWED',
        details: { status: 403, origin: new URL(refusedDemo.url).origin },
      });
      expect(diagnosis.details.retryAfterSeconds).toBeGreaterThan(500);
      await page.close();
    } finally {
      await refusedDemo.close();
    }
  });

  it('ORIGIN_NOT_ALLOWED (not LOCAL_NETWORK_ACCESS_BLOCKED) when the upgrade is refused with HTTP 403 and the refusal body', async () => {
    const body = JSON.stringify({
      reason: 'ORIGIN_NOT_ALLOWED',
      message: catalog.ORIGIN_NOT_ALLOWED,
      details: { retryAfterSeconds: 42 },
    });
    const http = createServer((req, res) => {
      res.writeHead(403, {
        'Content-Type': 'application/json; charset=utf-8',
        'Access-Control-Allow-Origin': req.headers.origin ?? '*',
      });
      res.end(body);
    });
    http.on('upgrade', (_req, socket) =>
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
    );
    const port = await listen(http);
    const page = await sdkPage();
    const outcome = await connectOutcome(page, `ws://127.0.0.1:${port}`);
    expect(outcome).toMatchObject({
      code: 'ORIGIN_NOT_ALLOWED',
      vi: catalog.ORIGIN_NOT_ALLOWED.vi,
      details: { status: 403, retryAfterSeconds: 42 },
    });
    await page.close();
  });

  it('the version handshake names the side that must update', async () => {
    const page = await sdkPage();
    // A newer agent (protocol 2.x) refuses this SDK's 1.0: the page must update.
    const newer = await fakeAgent(() => ({
      error: {
        code: -32000,
        message: 'Incompatible protocol version',
        data: {
          reason: 'PROTOCOL_VERSION_UNSUPPORTED',
          message: catalog.PROTOCOL_VERSION_UNSUPPORTED,
          details: { requested: '1.0', agentProtocolVersion: '2.0', agentVersion: '3.0.0' },
        },
      },
    }));
    expect(await connectOutcome(page, newer)).toMatchObject({
      code: 'PAGE_UPDATE_REQUIRED',
      vi: catalog.PAGE_UPDATE_REQUIRED.vi,
      details: { side: 'page', agentProtocolVersion: '2.0', sdkProtocolVersion: '1.0' },
    });
    // An old agent (protocol 0.x) answers: the agent must update.
    expect(await connectOutcome(page, await fakeAgent(() => kysoInfo('0.9')))).toMatchObject({
      code: 'AGENT_UPDATE_REQUIRED',
      vi: catalog.AGENT_UPDATE_REQUIRED.vi,
      details: { side: 'agent', agentProtocolVersion: '0.9' },
    });
    // Same major, but an older minor without sign.pdfs: calling it says "update the agent".
    const older = await fakeAgent(() => kysoInfo('1.0', ['agent.info', 'sign.pdf']));
    const missing = (await run(
      page,
      older,
      `const kyso = new sdk.KysoClient({ url });
      try { await kyso.signPdfs({ certificateId: 'x', items: [] }); return 'signed?'; }
      catch (error) { return { code: error.code, details: error.details }; }
      finally { kyso.close(); }`,
    )) as Outcome;
    expect(missing).toMatchObject({
      code: 'AGENT_UPDATE_REQUIRED',
      details: { side: 'agent', method: 'sign.pdfs' },
    });
    await page.close();
  });
});

describe('local network access (Chromium treats the page as a public site)', () => {
  it('LOCAL_NETWORK_ACCESS_BLOCKED while the permission is not granted; once granted, a stopped agent says AGENT_NOT_RUNNING', async () => {
    // The page is http://vanban.example:PORT (a non-loopback name mapped to 127.0.0.1, treated
    // as a secure context like the https site it stands for) and its address is "public", so Chromium's local network access checks block its
    // requests to 127.0.0.1 as they would for a real document system on the network.
    const site = await startDemoServer({ port: 0, agentUrl: agent.url });
    const port = new URL(site.url).port;
    const base = `http://vanban.example:${port}/`;
    agent.server.allowOrigin(new URL(base).origin);
    const context = await launchChromiumContext([
      '--host-resolver-rules=MAP vanban.example 127.0.0.1',
      // Local network access is for secure contexts (a real document system is https).
      `--unsafely-treat-insecure-origin-as-secure=${new URL(base).origin}`,
      `--ip-address-space-overrides=127.0.0.1:${port}=public`,
    ]);
    try {
      const page = await sdkPage(context, base);
      const blocked = await connectOutcome(page, agent.url);
      expect(blocked).toMatchObject({
        code: 'LOCAL_NETWORK_ACCESS_BLOCKED',
        vi: catalog.LOCAL_NETWORK_ACCESS_BLOCKED.vi,
      });
      expect(blocked.en).toMatch(/LocalNetworkAccessAllowedForUrls/);
      // What the user's "Allow" (or the administrator's policy) does:
      const cdp = await context.newCDPSession(page);
      await cdp.send('Browser.grantPermissions', {
        permissions: ['localNetworkAccess', 'localNetwork', 'loopbackNetwork'],
        origin: new URL(base).origin,
      });
      expect((await connectOutcome(page, agent.url)).code).toBe('CONNECTED');
      const stopped = await connectOutcome(page, `ws://127.0.0.1:${await closedPort()}`);
      expect(stopped.code).toBe('AGENT_NOT_RUNNING');
      await page.close();
    } finally {
      await context.close();
      await site.close();
    }
  });
});
