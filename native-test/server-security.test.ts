/** The front door's controls against a real agent: origin, Host, sizes, rates, idle, consent. */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../agent/journal/index.ts';
import { CLOSE_IDLE, CLOSE_ORIGIN_NOT_ALLOWED } from '../agent/server/index.ts';
import type { TokenInfo } from '../agent/tokens/types.ts';
import { copyTestPki } from './pki.ts';
import { verifies } from './server-verify.ts';
import {
  agentPerTest,
  defaultScript,
  startTestAgent,
  TEST_ORIGIN,
  TestClient,
} from './server-harness.ts';

const agentWith = agentPerTest();

const hash = () => createHash('sha256').update(randomBytes(16)).digest('base64');

function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      // An accepted upgrade keeps the socket open: the status line is all we need.
      if (text.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

const upgradeHead = (host: string, origin: string | null) =>
  `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
  (origin === null ? '' : `Origin: ${origin}\r\n`) +
  '\r\n';

describe('Host header (DNS rebinding)', () => {
  it('refuses a WebSocket and /health whose Host is not a loopback name', async () => {
    const agent = await agentWith();
    const ws = await rawRequest(agent.port, upgradeHead(`evil.example:${agent.port}`, TEST_ORIGIN));
    expect(ws).toMatch(/^HTTP\/1.1 403/);
    expect(ws).toContain('HOST_NOT_ALLOWED');
    const health = await rawRequest(
      agent.port,
      `GET /health HTTP/1.1\r\nHost: 1.2.3.4:${agent.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(health).toMatch(/^HTTP\/1.1 403/);
    expect(JSON.parse(health.slice(health.indexOf('{')))).toMatchObject({
      reason: 'HOST_NOT_ALLOWED',
      message: { en: expect.stringMatching(/loopback/) },
    });
    await expect(
      TestClient.connect(agent.url, {
        origin: TEST_ORIGIN,
        headers: { Host: `attacker.test:${agent.port}` },
      }),
    ).rejects.toThrow(/403/);
    // Loopback names pass.
    for (const host of [
      `localhost:${agent.port}`,
      `127.0.0.1:${agent.port}`,
      `[::1]:${agent.port}`,
    ]) {
      expect(await rawRequest(agent.port, upgradeHead(host, TEST_ORIGIN))).toMatch(
        /^HTTP\/1.1 101/,
      );
    }
  });
});

describe('listening', () => {
  it('a second agent on the same port fails with PORT_IN_USE', async () => {
    const agent = await agentWith();
    await expect(startTestAgent({ config: { port: agent.port } })).rejects.toMatchObject({
      code: 'PORT_IN_USE',
    });
  });
});

describe('Origin', () => {
  it('refuses a missing or non-web Origin before the upgrade', async () => {
    const agent = await agentWith();
    expect(await rawRequest(agent.port, upgradeHead(`127.0.0.1:${agent.port}`, null))).toMatch(
      /^HTTP\/1.1 403/,
    );
    expect(await rawRequest(agent.port, upgradeHead(`127.0.0.1:${agent.port}`, 'null'))).toMatch(
      /^HTTP\/1.1 403/,
    );
    expect(await rawRequest(agent.port, upgradeHead(`127.0.0.1:${agent.port}`, 'file://'))).toMatch(
      /403/,
    );
  });

  it('a forged unknown origin the user refuses gets ORIGIN_NOT_ALLOWED and close 4003, and is not asked again', async () => {
    const agent = await agentWith();
    const evil = await TestClient.connect(agent.url, { origin: 'https://evil.example' });
    const reply = await evil.call('certificates.list');
    // Either the request got its error before the agent hung up, or the close says why.
    if (reply.closeCode === undefined) {
      expect(reply.error).toMatchObject({ code: -32000, data: { reason: 'ORIGIN_NOT_ALLOWED' } });
    }
    expect(await evil.closed).toEqual({
      code: CLOSE_ORIGIN_NOT_ALLOWED,
      reason: 'ORIGIN_NOT_ALLOWED',
    });
    const again = await TestClient.connect(agent.url, { origin: 'https://evil.example' });
    expect((await again.closed).code).toBe(CLOSE_ORIGIN_NOT_ALLOWED);
    const asked = agent.consent.log.filter((e) => e.kind === 'origin');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.kind === 'origin' && asked[0].request.origin).toBe('https://evil.example');
    const { records } = await readJournal(agent.journalFile);
    expect(records).toEqual([]);
  });

  it('an approved origin is asked once, remembered in the store, listable and revocable', async () => {
    const agent = await agentWith({
      script: (pki) => ({
        ...defaultScript(pki),
        origins: { 'https://vanban.example.gov.vn': 'approve' },
      }),
    });
    const origin = 'https://vanban.example.gov.vn';
    const first = await TestClient.connect(agent.url, { origin });
    const second = await TestClient.connect(agent.url, { origin });
    expect((await first.call('agent.info')).result?.origin).toBe(origin);
    expect((await second.call('agent.info')).result?.origin).toBe(origin);
    expect(agent.consent.log.filter((e) => e.kind === 'origin')).toHaveLength(1);
    expect(agent.originStore.list().map((o) => o.origin)).toEqual([origin]);
    first.close();
    second.close();
    // Revoked: the next connection asks again (and this time the user refuses).
    expect(agent.originStore.revoke(origin)).toBe(true);
    agent.consent.setScript({ origins: { default: 'refuse' } });
    const third = await TestClient.connect(agent.url, { origin });
    expect((await third.closed).code).toBe(CLOSE_ORIGIN_NOT_ALLOWED);
    expect(agent.consent.log.filter((e) => e.kind === 'origin')).toHaveLength(2);
  });
});

describe('/health', () => {
  it('answers version and readiness, with CORS only for allowed origins', async () => {
    const agent = await agentWith();
    const base = `http://127.0.0.1:${agent.port}/health`;
    const allowed = await fetch(base, { headers: { Origin: TEST_ORIGIN } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
    expect(await allowed.json()).toMatchObject({
      agent: 'Kyso Agent',
      protocolVersion: '1.0',
      ready: true,
    });
    const foreign = await fetch(base, { headers: { Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(base, {
      method: 'OPTIONS',
      headers: {
        Origin: TEST_ORIGIN,
        'Access-Control-Request-Private-Network': 'true',
        'Access-Control-Request-Method': 'GET',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-private-network')).toBe('true');
    expect((await fetch(`http://127.0.0.1:${agent.port}/other`)).status).toBe(404);
    expect((await fetch(base, { method: 'POST' })).status).toBe(405);
  });
});

describe('message size', () => {
  it('a 200 MB frame closes the socket with 1009 before it is buffered; the agent stays up', async () => {
    const agent = await agentWith();
    const rssBefore = process.memoryUsage().rss;
    const result = await new Promise<{ closeCode: number; sentMb: number }>((resolve, reject) => {
      const socket = connect(agent.port, '127.0.0.1');
      let upgraded = false;
      let sent = 0;
      let buffer = Buffer.alloc(0);
      socket.on('error', () => undefined); // the agent hangs up mid-stream: expected
      socket.on('connect', () => socket.write(upgradeHead(`127.0.0.1:${agent.port}`, TEST_ORIGIN)));
      socket.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        if (!upgraded) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!buffer.subarray(0, 12).toString().includes('101'))
            return reject(new Error(buffer.toString()));
          upgraded = true;
          buffer = buffer.subarray(end + 4);
          // Text frame, FIN, masked, 64-bit length = 200 MB; then stream the payload in chunks.
          const total = 200 * 1024 * 1024;
          const header = Buffer.alloc(14);
          header[0] = 0x81;
          header[1] = 0x80 | 127;
          header.writeBigUInt64BE(BigInt(total), 2);
          header.writeUInt32BE(0x01020304, 10);
          socket.write(header);
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          const pump = () => {
            while (sent < total && !socket.destroyed) {
              sent += chunk.length;
              if (!socket.write(chunk)) return void socket.once('drain', pump);
            }
          };
          pump();
        }
        // Server close frame: 0x88, length, 2-byte code.
        if (upgraded && buffer.length >= 4 && buffer[0] === 0x88) {
          resolve({ closeCode: buffer.readUInt16BE(2), sentMb: sent / 1024 / 1024 });
          socket.destroy();
        }
      });
      setTimeout(() => reject(new Error('no close frame')), 30_000);
    });
    expect(result.closeCode).toBe(1009);
    expect(result.sentMb).toBeLessThan(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    expect((await client.call('agent.info')).result).toBeDefined();
    client.close();
  });

  it('a frame just above a small configured cap is refused too', async () => {
    const agent = await agentWith({ config: { limits: { maxPayloadBytes: 2048 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    client.socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'agent.info',
        params: { client: 'x'.repeat(3000) },
      }),
    );
    expect((await client.closed).code).toBe(1009);
  });
});

describe('rate, in-flight and idle limits', () => {
  it('caps requests in flight per connection with RATE_LIMITED', async () => {
    const agent = await agentWith({
      config: { limits: { maxInFlight: 2 } },
      script: (pki) => ({ ...defaultScript(pki), delayMs: 300 }),
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const certificateId = agent.pki.token('leader').certificateId;
    const replies = await Promise.all(
      [1, 2, 3].map(() =>
        client.call('sign.hash', { certificateId, hashAlgorithm: 'SHA-256', hash: hash() }),
      ),
    );
    expect(replies.map((r) => r.error?.data.reason ?? 'ok')).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    expect(replies[2]?.error?.data.details).toMatchObject({ limit: 'inFlight', max: 2 });
    client.close();
  });

  it('rate-limits a flood and recovers', async () => {
    const agent = await agentWith({ config: { limits: { ratePerSecond: 5, rateBurst: 5 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const replies = await Promise.all(Array.from({ length: 8 }, () => client.call('agent.info')));
    const reasons = replies.map((r) => r.error?.data.reason ?? 'ok');
    expect(reasons.filter((r) => r === 'ok')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'RATE_LIMITED')).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 450));
    expect((await client.call('agent.info')).result).toBeDefined();
    client.close();
  });

  it('refuses connections beyond maxConnections with 503, and accepts again when one closes', async () => {
    const agent = await agentWith({ config: { limits: { maxConnections: 2 } } });
    const a = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const b = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    await expect(TestClient.connect(agent.url, { origin: TEST_ORIGIN })).rejects.toThrow(/503/);
    a.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 50));
    const c = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    expect((await c.call('agent.info')).result).toBeDefined();
    b.close();
    c.close();
  });

  it('closes an idle connection with 4001', async () => {
    const agent = await agentWith({ config: { limits: { idleTimeoutMs: 1000 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    expect((await client.call('agent.info')).result).toBeDefined();
    const start = Date.now();
    expect((await client.closed).code).toBe(CLOSE_IDLE);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });
});

describe('consent and PIN', () => {
  const sign = (client: TestClient, certificateId: string) =>
    client.call('sign.hash', {
      certificateId,
      hashAlgorithm: 'SHA-256',
      hash: hash(),
      documentName: 'Tờ trình.pdf',
    });

  it('a refused signing gives USER_CANCELLED and is journalled as refused', async () => {
    const agent = await agentWith({
      script: (pki) => ({ ...defaultScript(pki), signing: { default: 'refuse' } }),
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const reply = await sign(client, agent.pki.token('leader').certificateId);
    expect(reply.error).toMatchObject({ code: -32000, data: { reason: 'USER_CANCELLED' } });
    expect(agent.consent.log.map((e) => e.kind)).toEqual(['signing']);
    const { records } = await readJournal(agent.journalFile);
    expect(records).toMatchObject([
      { result: 'refused', errorCode: 'USER_CANCELLED', documents: [{ name: 'Tờ trình.pdf' }] },
    ]);
    client.close();
  });

  it('a cancelled PIN dialog gives USER_CANCELLED', async () => {
    const agent = await agentWith({ script: (pki) => ({ ...defaultScript(pki), pins: {} }) });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const reply = await sign(client, agent.pki.token('leader').certificateId);
    expect(reply.error?.data.reason).toBe('USER_CANCELLED');
    client.close();
  });

  it('a wrong PIN is asked again with previousAttempt=incorrect, then signs', async () => {
    const pki = copyTestPki();
    const agent = await agentWith({
      pki,
      script: (p) => ({
        ...defaultScript(p),
        pins: { [p.token('clerk').label]: ['000000', p.token('clerk').pin] },
      }),
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const reply = await sign(client, pki.token('clerk').certificateId);
    expect(reply.error).toBeUndefined();
    const pins = agent.consent.log.filter((e) => e.kind === 'pin');
    expect(pins.map((e) => e.kind === 'pin' && (e.request.previousAttempt ?? 'first'))).toEqual([
      'first',
      'incorrect',
    ]);
    client.close();
  });

  it('always-wrong PINs end with PIN_INCORRECT after 3 dialogs', async () => {
    const pki = copyTestPki();
    const agent = await agentWith({
      pki,
      script: (p) => ({ ...defaultScript(p), pins: { [p.token('clerk').label]: '000000' } }),
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const reply = await sign(client, pki.token('clerk').certificateId);
    expect(reply.error?.data.reason).toBe('PIN_INCORRECT');
    expect(agent.consent.log.filter((e) => e.kind === 'pin')).toHaveLength(3);
    const { records } = await readJournal(agent.journalFile);
    expect(records).toMatchObject([{ result: 'failed', errorCode: 'PIN_INCORRECT' }]);
    client.close();
  });

  it('serialises dialogs of two web apps: approval and PIN of one request are never interleaved', async () => {
    const agent = await agentWith({ script: (pki) => ({ ...defaultScript(pki), delayMs: 30 }) });
    const a = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const b = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const leader = agent.pki.token('leader').certificateId;
    const clerk = agent.pki.token('clerk').certificateId;
    const replies = await Promise.all([
      sign(a, leader),
      sign(b, clerk),
      sign(a, clerk),
      sign(b, leader),
    ]);
    expect(replies.every((r) => r.error === undefined)).toBe(true);
    const kinds = agent.consent.log.map((e) => e.kind);
    expect(kinds).toEqual(['signing', 'pin', 'signing', 'pin', 'signing', 'pin', 'signing', 'pin']);
    // Each PIN prompt belongs to the certificate just approved.
    for (let i = 0; i < agent.consent.log.length; i += 2) {
      const s = agent.consent.log[i];
      const p = agent.consent.log[i + 1];
      expect(
        s?.kind === 'signing' &&
          p?.kind === 'pin' &&
          s.request.certificate.id === p.request.certificate.id,
      ).toBe(true);
    }
    a.close();
    b.close();
  });

  it('a page that goes away cancels its pending dialog', async () => {
    const agent = await agentWith({ script: (pki) => ({ ...defaultScript(pki), delayMs: 500 }) });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    void sign(client, agent.pki.token('leader').certificateId);
    await new Promise((r) => setTimeout(r, 100));
    client.close();
    await new Promise((r) => setTimeout(r, 700));
    const { records } = await readJournal(agent.journalFile);
    expect(records).toMatchObject([{ result: 'refused', errorCode: 'USER_CANCELLED' }]);
  });
});

describe('PIN cache and tokens.changed', () => {
  it('a SIM PKI key (PIN for every signature) signs with the default policy', async () => {
    const agent = await agentWith();
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const sim = agent.pki.token('sim');
    for (let i = 0; i < 2; i++) {
      const message = randomBytes(40);
      const reply = await client.call('sign.hash', {
        certificateId: sim.certificateId,
        hashAlgorithm: 'SHA-256',
        hash: createHash('sha256').update(message).digest('base64'),
      });
      const result = reply.result as { certificate: string; signature: string };
      expect(verifies(result.certificate, message, result.signature)).toBe(true);
    }
    expect(agent.consent.log.filter((e) => e.kind === 'pin')).toHaveLength(2);
    client.close();
  });

  it('is off by default: every signature asks the PIN', async () => {
    const agent = await agentWith();
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const leader = agent.pki.token('leader').certificateId;
    await sign2(client, leader);
    await sign2(client, leader);
    expect(agent.consent.log.filter((e) => e.kind === 'pin')).toHaveLength(2);
    expect((await client.call('agent.info')).result?.pinCache).toEqual({
      enabled: false,
      ttlSeconds: 300,
    });
    client.close();
  });

  it('a key that needs the PIN for every signature (SIM PKI) is asked each time even with the cache on', async () => {
    const pki = copyTestPki();
    const agent = await agentWith({ pki, config: { pinCache: { enabled: true, ttlSeconds: 60 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const sim = pki.token('sim');
    expect(sim.alwaysAuthenticate).toBe(true);
    const message = randomBytes(40);
    const reply = await client.call('sign.hash', {
      certificateId: sim.certificateId,
      hashAlgorithm: 'SHA-256',
      hash: createHash('sha256').update(message).digest('base64'),
    });
    const result = reply.result as { certificate: string; signature: string };
    expect(verifies(result.certificate, message, result.signature)).toBe(true);
    expect((await sign2(client, sim.certificateId)).error).toBeUndefined();
    expect((await sign2(client, sim.certificateId)).error).toBeUndefined();
    expect(agent.consent.log.filter((e) => e.kind === 'pin')).toHaveLength(3);
    client.close();
  });

  it('when on, keeps the login until the time limit or until the token is removed', async () => {
    const pki = copyTestPki();
    const agent = await agentWith({ pki, config: { pinCache: { enabled: true, ttlSeconds: 2 } } });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const cert = pki.token('leader').certificateId;
    const pinsAsked = () => agent.consent.log.filter((e) => e.kind === 'pin').length;
    expect((await sign2(client, cert)).error).toBeUndefined();
    expect((await sign2(client, cert)).error).toBeUndefined();
    expect(pinsAsked()).toBe(1);
    // Approval is still asked every time: the cache only skips the PIN.
    expect(agent.consent.log.filter((e) => e.kind === 'signing')).toHaveLength(2);
    // Token removed: forgotten at once, the web app is told.
    const tokens = (await client.call('tokens.list')).result?.tokens as TokenInfo[];
    const token = tokens.find((t) => t.label === pki.token('leader').label) as TokenInfo;
    agent.emitTokenEvent({
      type: 'tokens.changed',
      added: [],
      removed: [token],
      tokens: tokens.filter((t) => t.id !== token.id),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(client.notifications).toMatchObject([
      { method: 'tokens.changed', params: { added: [], removed: [token.id] } },
    ]);
    await agent.tokens.logout(token.id);
    expect((await sign2(client, cert)).error).toBeUndefined();
    expect(pinsAsked()).toBe(2);
    // Time limit: after 2 s the agent logs the token out and asks again.
    await new Promise((r) => setTimeout(r, 2300));
    expect(await agent.tokens.isLoggedIn(token.id)).toBe(false);
    expect((await sign2(client, cert)).error).toBeUndefined();
    expect(pinsAsked()).toBe(3);
    client.close();
  });
});

function sign2(client: TestClient, certificateId: string) {
  return client.call('sign.hash', { certificateId, hashAlgorithm: 'SHA-256', hash: hash() });
}

describe('stopping', () => {
  it('journals requests that were waiting for the user when the agent stops', async () => {
    const agent = await startTestAgent({
      script: (pki) => ({ ...defaultScript(pki), delayMs: 10_000 }),
    });
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const pending = client.call('sign.hash', {
      certificateId: agent.pki.token('leader').certificateId,
      hashAlgorithm: 'SHA-256',
      hash: hash(),
      documentName: 'đang chờ.pdf',
    });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await agent.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await pending).closeCode).toBe(1001);
    const { records } = await readJournal(agent.journalFile);
    expect(records).toMatchObject([
      { result: 'refused', errorCode: 'USER_CANCELLED', documents: [{ name: 'đang chờ.pdf' }] },
    ]);
  });
});

describe('GET /vgca.js (the drop-in for documents systems written against the VGCA plugin)', () => {
  it('serves the built script, pointed at this agent, and only to loopback Host names', async () => {
    const agent = await agentWith();
    const res = await fetch(`http://127.0.0.1:${agent.port}/vgca.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await res.text();
    expect(body.startsWith(`self.KysoVgcaAgentDefault = "ws://127.0.0.1:${agent.port}";`)).toBe(
      true,
    );
    expect(body).toContain('vgca_sign_approved');
    const rebound = await rawRequest(
      agent.port,
      `GET /vgca.js HTTP/1.1\r\nHost: evil.example:${agent.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(rebound).toMatch(/^HTTP\/1.1 403/);
  });
});
