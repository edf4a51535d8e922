/**
 * End to end in Debian's Chromium: the demo document system, served from a loopback origin,
 * lists the test certificates through Kyso Agent and gets a signature that verifies.
 */
import { createHash } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../demo/serve.ts';
import { startTestAgent, type TestAgent } from './server-harness.ts';
import { verifies } from './server-verify.ts';

let agent: TestAgent;
let browser: Browser;
let demo: { url: string; close(): Promise<void> };
let foreignDemo: { url: string; close(): Promise<void> };

beforeAll(async () => {
  agent = await startTestAgent();
  demo = await startDemoServer({ port: 0, agentUrl: agent.url });
  foreignDemo = await startDemoServer({ port: 0, agentUrl: agent.url });
  agent.server.allowOrigin(new URL(demo.url).origin);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await foreignDemo?.close();
  await agent?.close();
});

describe('demo page in Chromium', () => {
  it('lists the test certificates and signs a hash that verifies', async () => {
    const page = await browser.newPage();
    await page.goto(demo.url);
    const leader = agent.pki.token('leader');
    await page.waitForSelector(`#certs tr[data-id="${leader.certificateId}"]`, { timeout: 20_000 });
    const listed = await page.$$eval('#certs tr', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.id),
    );
    for (const t of agent.pki.tokens.filter((t) => !t.expired))
      expect(listed).toContain(t.certificateId);
    expect(listed).not.toContain(agent.pki.token('expired').certificateId);
    expect(await page.textContent('#status')).toMatch(/Kyso Agent .* protocol 1\.0/);

    await page.check(`#certs tr[data-id="${leader.certificateId}"] input`);
    const content = 'Nội dung văn bản số 12/QĐ-UBND — ký thử.';
    await page.fill('#content', content);
    await page.click('#sign');
    await page.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
    const signature = (await page.textContent('#signature')) ?? '';
    const certificate = (await page.getAttribute('#signature', 'data-certificate')) ?? '';
    expect(verifies(certificate, Buffer.from(content, 'utf8'), signature)).toBe(true);
    const shown = agent.consent.log.filter((e) => e.kind === 'signing').at(-1);
    expect(shown?.kind === 'signing' && shown.request).toMatchObject({
      origin: new URL(demo.url).origin,
      documents: [
        {
          name: 'Quyết định số 12/QĐ-UBND.pdf',
          digestHex: createHash('sha256').update(content).digest('hex'),
        },
      ],
    });
    await page.close();
  });

  it('a page from an origin the user refuses sees ORIGIN_NOT_ALLOWED', async () => {
    const page = await browser.newPage();
    await page.goto(foreignDemo.url);
    await page.waitForSelector('#error:not([hidden])', { timeout: 20_000 });
    expect(await page.getAttribute('#error', 'data-code')).toBe('ORIGIN_NOT_ALLOWED');
    expect(await page.textContent('#error')).toMatch(/chưa được phép/);
    await page.close();
  });

  it('the SDK in the browser reports AGENT_NOT_RUNNING for a port where nothing listens', async () => {
    const page = await browser.newPage();
    await page.goto(demo.url);
    // A string, so the test runner does not rewrite the browser's dynamic import().
    const code = await page.evaluate(`(async () => {
      const { KysoClient } = await import('/kyso-client.js');
      try {
        await new KysoClient({ url: 'ws://127.0.0.1:9', connectTimeoutMs: 3000 }).connect();
        return 'connected?';
      } catch (error) {
        return error.code;
      }
    })()`);
    expect(code).toBe('AGENT_NOT_RUNNING');
    await page.close();
  });
});

describe('Chrome local network access (the page looks public to Chromium)', () => {
  it('blocked: the SDK says LOCAL_NETWORK_ACCESS_BLOCKED; once allowed, the page signs', async () => {
    // --ip-address-space-overrides makes the demo origin a "public" site, so Chromium applies
    // its local network access checks to the page's connection to 127.0.0.1.
    const publicDemo = await startDemoServer({ port: 0, agentUrl: agent.url });
    agent.server.allowOrigin(new URL(publicDemo.url).origin);
    const port = new URL(publicDemo.url).port;
    const context = await chromium.launchPersistentContext('', {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--ip-address-space-overrides=127.0.0.1:${port}=public`,
      ],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(publicDemo.url);
      await page.waitForSelector('#error:not([hidden])', { timeout: 20_000 });
      expect(await page.getAttribute('#error', 'data-code')).toBe('LOCAL_NETWORK_ACCESS_BLOCKED');
      expect(await page.textContent('#error')).toMatch(/LocalNetworkAccessAllowedForUrls/);
      // What the user's "Allow" (or the administrator's policy) does:
      const cdp = await context.newCDPSession(page);
      await cdp.send('Browser.grantPermissions', {
        permissions: ['localNetworkAccess', 'localNetwork', 'loopbackNetwork'],
        origin: new URL(publicDemo.url).origin,
      });
      await page.reload();
      const leader = agent.pki.token('leader');
      await page.waitForSelector(`#certs tr[data-id="${leader.certificateId}"]`, {
        timeout: 20_000,
      });
      await page.check(`#certs tr[data-id="${leader.certificateId}"] input`);
      await page.click('#sign');
      await page.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
      const content = (await page.inputValue('#content')) ?? '';
      const signature = (await page.textContent('#signature')) ?? '';
      const certificate = (await page.getAttribute('#signature', 'data-certificate')) ?? '';
      expect(verifies(certificate, Buffer.from(content, 'utf8'), signature)).toBe(true);
    } finally {
      await context.close();
      await publicDemo.close();
    }
  });
});
