/** The browser SDK (agent/client) against a real agent, with the `ws` package as its socket. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { KysoClient, KysoClientError, type WebSocketLike } from '../agent/client/index.ts';
import { defaultScript, startTestAgent, TEST_ORIGIN, type TestAgent } from './server-harness.ts';
import { verifies } from './server-verify.ts';

const agents: TestAgent[] = [];
const clients: KysoClient[] = [];
async function agentWith(options: Parameters<typeof startTestAgent>[0] = {}): Promise<TestAgent> {
  const agent = await startTestAgent(options);
  agents.push(agent);
  return agent;
}
function clientFor(
  url: string,
  origin = TEST_ORIGIN,
  extra: Partial<ConstructorParameters<typeof KysoClient>[0]> = {},
) {
  const client = new KysoClient({
    url,
    createSocket: (u) => new WebSocket(u, { origin }) as unknown as WebSocketLike,
    ...extra,
  });
  clients.push(client);
  return client;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(agents.splice(0).map((a) => a.close()));
  delete (globalThis as { navigator?: unknown }).navigator;
});

async function failure(promise: Promise<unknown>): Promise<KysoClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KysoClientError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((r) => server.close(r));
  return port;
}

describe('KysoClient', () => {
  it('handshakes, lists certificates and signs a hash that verifies', async () => {
    const agent = await agentWith();
    const kyso = clientFor(agent.url);
    const info = await kyso.connect();
    expect(info).toMatchObject({ protocolVersion: '1.0', origin: TEST_ORIGIN });
    const certificates = await kyso.listCertificates({ validNow: true });
    const leader = certificates.find((c) => c.id === agent.pki.token('leader').certificateId);
    expect(leader?.commonName).toBe('Nguyễn Văn Ánh');
    expect((await kyso.listTokens()).length).toBeGreaterThan(0);
    const message = randomBytes(100);
    const result = await kyso.signHash({
      certificateId: leader?.id ?? '',
      hashAlgorithm: 'SHA-256',
      hash: createHash('sha256').update(message).digest('base64'),
      documentName: 'Báo cáo.pdf',
    });
    expect(verifies(result.certificate, message, result.signature)).toBe(true);
    const batch = await kyso.signHashes({
      certificateId: leader?.id ?? '',
      hashAlgorithm: 'SHA-256',
      items: [
        { name: 'a.pdf', hash: createHash('sha256').update(message).digest('base64') },
        { name: 'b.pdf', hash: createHash('sha256').update(message).digest('base64') },
      ],
    });
    expect(batch.signatures.map((s) => s.name)).toEqual(['a.pdf', 'b.pdf']);
  });

  it('turns agent errors into typed errors with code, field and messages', async () => {
    const agent = await agentWith({
      script: (pki) => ({ ...defaultScript(pki), signing: { default: 'refuse' } }),
    });
    const kyso = clientFor(agent.url);
    const bad = await failure(
      kyso.signHash({ certificateId: 'x', hashAlgorithm: 'SHA-256', hash: 'AA==' }),
    );
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', rpcCode: -32602, field: 'certificateId' });
    const refused = await failure(
      kyso.signHash({
        certificateId: agent.pki.token('leader').certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update('x').digest('base64'),
      }),
    );
    expect(refused.code).toBe('USER_CANCELLED');
    expect(refused.messages.vi).toMatch(/hủy/);
  });

  it('AGENT_NOT_RUNNING when nothing listens', async () => {
    const kyso = clientFor(`ws://127.0.0.1:${await closedPort()}`);
    const error = await failure(kyso.connect());
    expect(error.code).toBe('AGENT_NOT_RUNNING');
    expect(error.messages.en).toMatch(/not running/);
  });

  it('LOCAL_NETWORK_ACCESS_BLOCKED when the browser denied the permission; CONNECTION_LOST when the agent answers /health but the socket is blocked', async () => {
    const agent = await agentWith();
    const port = await closedPort();
    // 1. The browser reports the permission as denied.
    (globalThis as { navigator?: unknown }).navigator = {
      permissions: {
        query: async ({ name }: { name: string }) => ({
          state: name === 'local-network-access' ? 'denied' : 'granted',
        }),
      },
    };
    const denied = await failure(clientFor(`ws://127.0.0.1:${port}`).connect());
    expect(denied.code).toBe('LOCAL_NETWORK_ACCESS_BLOCKED');
    expect(denied.messages.en).toMatch(/LocalNetworkAccessAllowedForUrls/);
    delete (globalThis as { navigator?: unknown }).navigator;
    // 2. The agent runs (its /health is readable) but the socket never opens: not the browser's
    // local network access checks (they block fetch too), something in between the socket.
    const blocked = clientFor(agent.url, TEST_ORIGIN, {
      createSocket: () => new WebSocket(`ws://127.0.0.1:${port}`) as unknown as WebSocketLike,
    });
    expect((await failure(blocked.connect())).code).toBe('CONNECTION_LOST');
  });

  it('ORIGIN_NOT_ALLOWED when the user refuses the website', async () => {
    const agent = await agentWith();
    const error = await failure(clientFor(agent.url, 'https://evil.example').listCertificates());
    expect(error.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('PROTOCOL_VERSION_UNSUPPORTED is raised by the agent for another major', async () => {
    const agent = await agentWith();
    const kyso = clientFor(agent.url);
    await kyso.connect();
    const error = await failure(kyso.call('agent.info', { protocolVersion: '2.0' }));
    expect(error.code).toBe('PROTOCOL_VERSION_UNSUPPORTED');
  });

  it('TIMEOUT when the agent does not answer in time', async () => {
    const agent = await agentWith({ script: (pki) => ({ ...defaultScript(pki), delayMs: 1000 }) });
    const kyso = clientFor(agent.url, TEST_ORIGIN, { timeoutMs: 200 });
    const error = await failure(
      kyso.signHash({
        certificateId: agent.pki.token('leader').certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update('x').digest('base64'),
      }),
    );
    expect(error.code).toBe('TIMEOUT');
  });

  it('reconnects after the agent closes the socket and keeps delivering tokens.changed', async () => {
    const agent = await agentWith({ config: { limits: { idleTimeoutMs: 1000 } } });
    const kyso = clientFor(agent.url);
    const changes: unknown[] = [];
    kyso.onTokensChanged((c) => changes.push(c));
    await kyso.connect();
    await new Promise((r) => setTimeout(r, 2600)); // idle close at ~1 s, reconnect 1 s later
    expect(kyso.info).not.toBeNull();
    const tokens = await agent.tokens.listTokens();
    agent.emitTokenEvent({
      type: 'tokens.changed',
      added: tokens.slice(0, 1),
      removed: [],
      tokens,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ added: [tokens[0]?.id] });
  });
});
