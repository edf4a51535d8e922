/**
 * Issue 11 with hostile `ws` and raw clients against a real in-process agent: the pre-approval
 * frame cap and method gate, the global memory budget, per-origin and pending connection caps,
 * no module internals in replies, and the one display-text rule. Loopback only, bounded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSafeDisplayText } from '../agent/protocol/index.ts';
import { clean } from '../agent/consent/terminal.ts';
import { isSafeDisplayText as serverRule } from '../agent/server/params.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import { buildCrashingModule } from './crashing-module.ts';
import { loadTestPki } from './pki.ts';
import { frameHeader, sendHugeFrame, upgradeHead } from './server-attack-helpers.ts';
import {
  agentPerTest,
  defaultScript,
  startTestAgent,
  TEST_ORIGIN,
  TestClient,
} from './server-harness.ts';
import { connect } from 'node:net';

const agentWith = agentPerTest();

const PENDING = 'https://waiting.example';
const OTHER = 'https://other.example.gov.vn';
const hash = () => createHash('sha256').update(randomBytes(16)).digest('base64');
/** Origins listed here wait 20 s for the user (they stay "pending" for the whole test). */
const slowApproval = () => (pki: Parameters<typeof defaultScript>[0]) => ({
  ...defaultScript(pki),
  origins: { default: 'approve' as const },
  delayMs: 20_000,
});

async function upgradeStatus(
  port: number,
  origin: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(upgradeHead(port, origin)));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        resolve({ status: 101, body: '' });
      }
    });
    socket.on('close', () =>
      resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('{')) }),
    );
    socket.on('error', reject);
  });
}

describe('before approval', () => {
  it('a pending origin may only call agent.info (which waits); others get ORIGIN_APPROVAL_PENDING', async () => {
    const agent = await agentWith({
      script: (pki) => ({ ...defaultScript(pki), origins: { default: 'approve' }, delayMs: 400 }),
    });
    const page = await TestClient.connect(agent.url, { origin: PENDING });
    const early = await page.call('certificates.list');
    expect(early.error).toMatchObject({
      code: -32000,
      data: { reason: 'ORIGIN_APPROVAL_PENDING', details: { method: 'certificates.list' } },
    });
    expect(early.error?.data.message.vi).toMatch(/chưa được người dùng cho phép/);
    const started = Date.now();
    const info = await page.call('agent.info');
    expect(info.result?.origin).toBe(PENDING);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // Approved: everything runs, and bigger frames pass.
    expect((await page.call('certificates.list')).result).toBeDefined();
    const big = await page.call('agent.info', {
      client: 'x'.repeat(150),
      pad: 'y'.repeat(100_000),
    });
    expect(big.closeCode).toBeUndefined(); // parsed and answered, not cut at the header
    page.close();
  });

  it('one tab of a pending origin going away does not refuse its other tabs (shared dialog)', async () => {
    const agent = await agentWith({
      script: (pki) => ({ ...defaultScript(pki), origins: { default: 'approve' }, delayMs: 500 }),
    });
    const first = await TestClient.connect(agent.url, { origin: PENDING });
    const second = await TestClient.connect(agent.url, { origin: PENDING });
    const waiting = second.call('agent.info');
    await new Promise((r) => setTimeout(r, 100));
    first.close();
    expect((await waiting).result?.origin).toBe(PENDING);
    expect(agent.consent.log.filter((e) => e.kind === 'origin')).toHaveLength(1);
    second.close();
  });

  it('a pending origin sending a 60 MiB frame is cut at the header (1009), without buffering it', async () => {
    const agent = await agentWith({ script: slowApproval() });
    const payload = Buffer.alloc(60 * 1024 * 1024, 0x20);
    const rss = () => process.memoryUsage().rss;
    const before = rss();
    for (const withUpgrade of [false, true]) {
      const result = await sendHugeFrame(agent.port, PENDING, payload, { withUpgrade });
      expect(result).toMatchObject({
        status: 101,
        closeCode: 1009,
        closeReason: 'MESSAGE_TOO_LARGE',
      });
    }
    // Just over the 8 KiB default cap is refused as well; exactly 8 KiB would pass the meter.
    const over = await sendHugeFrame(agent.port, PENDING, Buffer.alloc(8 * 1024 + 1, 0x20));
    expect(over.closeCode).toBe(1009);
    expect(agent.server.budget.peak).toBeLessThanOrEqual(8 * 1024 * 4);
    expect(agent.server.budget.inUse).toBe(0);
    expect(rss() - before).toBeLessThan(40 * 1024 * 1024);
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    expect((await client.call('agent.info')).result).toBeDefined();
    client.close();
  });
});

describe('memory budget', () => {
  it('a frame that does not fit the global budget is refused at its header (1013 AGENT_BUSY); small requests still run', async () => {
    const agent = await agentWith({
      config: { limits: { maxPayloadBytes: 1024 * 1024, maxBufferedBytes: 6 * 1024 * 1024 } },
    });
    // Holder: announces a 1 MiB frame (4 MiB of budget) and sends only half of it.
    const holder = connect(agent.port, '127.0.0.1');
    holder.on('error', () => undefined);
    await new Promise<void>((ok) => holder.on('connect', () => ok()));
    holder.write(upgradeHead(agent.port, TEST_ORIGIN));
    await new Promise<void>((ok) => holder.once('data', () => ok()));
    holder.write(Buffer.concat([frameHeader(1024 * 1024), Buffer.alloc(512 * 1024, 0x20)]));
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.server.budget.inUse).toBe(4 * 1024 * 1024);
    const second = await sendHugeFrame(agent.port, TEST_ORIGIN, Buffer.alloc(1024 * 1024, 0x20));
    expect(second).toMatchObject({ status: 101, closeCode: 1013, closeReason: 'AGENT_BUSY' });
    // The headroom keeps room for ordinary requests.
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const signed = await client.call('sign.hash', {
      certificateId: agent.pki.token('leader').certificateId,
      hashAlgorithm: 'SHA-256',
      hash: hash(),
    });
    expect(signed.error).toBeUndefined();
    holder.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.server.budget.inUse).toBe(0);
    client.close();
  });

  it('a trickled message cannot hold the budget: close 1008 MESSAGE_TIMEOUT after messageTimeoutMs', async () => {
    const agent = await agentWith({ config: { limits: { messageTimeoutMs: 500 } } });
    const socket = connect(agent.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((ok) => socket.on('connect', () => ok()));
    socket.write(upgradeHead(agent.port, TEST_ORIGIN));
    let received = Buffer.alloc(0);
    await new Promise<void>((ok) => socket.once('data', () => ok()));
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    const started = Date.now();
    socket.write(Buffer.concat([frameHeader(1024 * 1024), Buffer.alloc(10, 0x20)]));
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.server.budget.inUse).toBe(4 * 1024 * 1024);
    while (received.indexOf(0x88) < 0 && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const close = received.indexOf(0x88);
    expect(received.readUInt16BE(close + 2)).toBe(1008);
    expect(received.subarray(close + 4).toString()).toBe('MESSAGE_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.server.budget.inUse).toBe(0);
  });

  it('refuses a config whose largest message can never fit the budget', async () => {
    await expect(
      startTestAgent({
        config: {
          limits: { maxPayloadBytes: 64 * 1024 * 1024, maxBufferedBytes: 128 * 1024 * 1024 },
        },
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('connection caps', () => {
  it('one approved origin cannot take every slot: 429 TOO_MANY_CONNECTIONS, and another origin still signs', async () => {
    const agent = await agentWith({
      config: {
        allowedOrigins: [TEST_ORIGIN, OTHER],
        limits: { maxConnections: 6, maxConnectionsPerOrigin: 3 },
      },
    });
    const flood = await Promise.all(
      [1, 2, 3].map(() => TestClient.connect(agent.url, { origin: TEST_ORIGIN })),
    );
    const refused = await upgradeStatus(agent.port, TEST_ORIGIN);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({
      reason: 'TOO_MANY_CONNECTIONS',
      limit: 'origin',
      max: 3,
      message: { vi: expect.stringMatching(/quá nhiều kết nối/) },
    });
    const started = Date.now();
    const other = await TestClient.connect(agent.url, { origin: OTHER });
    const reply = await other.call('sign.hash', {
      certificateId: agent.pki.token('leader').certificateId,
      hashAlgorithm: 'SHA-256',
      hash: hash(),
    });
    expect(reply.error).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5000);
    for (const c of [...flood, other]) c.close();
  });

  it('pending origins have a smaller cap per origin (429) and all together (503)', async () => {
    const agent = await agentWith({
      script: slowApproval(),
      config: { limits: { maxPendingPerOrigin: 2, maxPendingConnections: 3 } },
    });
    const a = await Promise.all(
      [1, 2].map(() => TestClient.connect(agent.url, { origin: PENDING })),
    );
    const perOrigin = await upgradeStatus(agent.port, PENDING);
    expect(perOrigin.status).toBe(429);
    expect(JSON.parse(perOrigin.body)).toMatchObject({
      reason: 'TOO_MANY_CONNECTIONS',
      limit: 'pendingOrigin',
    });
    const b = await TestClient.connect(agent.url, { origin: 'https://second.example' });
    const global = await upgradeStatus(agent.port, 'https://third.example');
    expect(global.status).toBe(503);
    expect(JSON.parse(global.body)).toMatchObject({
      reason: 'TOO_MANY_CONNECTIONS',
      limit: 'pending',
    });
    // An approved origin is not held up by them.
    const ok = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    expect((await ok.call('agent.info')).result).toBeDefined();
    for (const c of [...a, b, ok]) c.close();
  });
});

describe('replies carry no local internals', () => {
  it('MODULE_CRASHED from a crashing module reaches the page without path, signal or stderr', async () => {
    const crashing = buildCrashingModule('kyso-attack-crash-');
    const { modulePath, certificateId } = crashing;
    const pki = loadTestPki();
    const tokens = await startTokenService({
      modules: [modulePath],
      env: crashing.env,
      pollIntervalMs: 0,
      callTimeoutMs: 3000,
    });
    try {
      const agent = await agentWith({
        tokens,
        pki,
        script: (p) => ({ ...defaultScript(p), pins: { 'KYSO CRASH TEST': '1234' } }),
      });
      const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
      crashing.setMode('sign-abort');
      const reply = await client.call('sign.hash', {
        certificateId,
        hashAlgorithm: 'SHA-256',
        hash: hash(),
      });
      expect(reply.error?.data.reason).toBe('MODULE_CRASHED');
      const text = JSON.stringify(reply);
      expect(text).not.toContain(crashing.dir);
      expect(text).not.toMatch(/crashing-pkcs11|SIGABRT|stderr|modulePath|signal/);
      client.close();
    } finally {
      await tokens.close();
    }
  });
});

describe('display text', () => {
  const invisible = [
    '\u061c',
    '\u200e',
    '\u202e',
    '\u2066',
    '\ufeff',
    '\u200b',
    '\u2028',
    '\u0085',
    '\ue000',
  ];

  it('one rule for params, the pipeline and the dialog', () => {
    expect(serverRule).toBe(isSafeDisplayText);
    for (const c of invisible) {
      expect(isSafeDisplayText(`Hợp đồng${c}fdp.exe`)).toBe(false);
      expect(clean(`a${c}b`)).toBe('a\ufffdb');
    }
    expect(isSafeDisplayText('Quyết định số 12/QĐ-UBND (bản chính).pdf')).toBe(true);
  });

  it('sign.hash refuses a document name with any of them (-32602), over a real socket', async () => {
    const agent = await agentWith();
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    for (const c of ['\u061c', '\u200e', '\u202e', '\u2066', '\ufeff']) {
      const reply = await client.call('sign.hash', {
        certificateId: agent.pki.token('leader').certificateId,
        hashAlgorithm: 'SHA-256',
        hash: hash(),
        documentName: `Hợp đồng${c}fdp.exe`,
      });
      expect(reply.error).toMatchObject({ code: -32602, data: { field: 'documentName' } });
    }
    expect(agent.consent.log).toEqual([]);
    client.close();
  });
});
