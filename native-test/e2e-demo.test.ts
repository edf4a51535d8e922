/**
 * End to end in Debian's Chromium: the demo document system, served from a loopback origin,
 * takes the project's sample decision through its real job with Kyso Agent: the leader's
 * approval signature over the name, the clerk's issuance (seal, number, date), an attachment
 * or copy signature; pdf.js previews every step, the page offers the download and shows a
 * verification report per signature. Screenshots go to test-results/demo/; the console must
 * stay free of errors (CSP included).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { launchChromium, launchChromiumContext } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPdf } from '../agent/pdf/index.ts';
import { startDemoServer } from '../demo/serve.ts';
import { SAMPLE_SIGNER } from '../demo/sample-pdf.ts';
import { loadTestPki } from './pki.ts';
import { startTestAgent, type TestAgent } from './server-harness.ts';

const SHOTS = join(process.cwd(), 'test-results/demo');
let agent: TestAgent;
let browser: Browser;
let demo: { url: string; close(): Promise<void> };
let foreignDemo: { url: string; close(): Promise<void> };

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const pki = loadTestPki();
  // As scripts/demo.sh does: the demo agent trusts its TEST root, so reports check chains.
  agent = await startTestAgent({
    pki,
    config: { trust: { anchors: [pki.rootCaPem] } },
  });
  demo = await startDemoServer({ port: 0, agentUrl: agent.url });
  foreignDemo = await startDemoServer({ port: 0, agentUrl: agent.url });
  agent.server.allowOrigin(new URL(demo.url).origin);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await foreignDemo?.close();
  await agent?.close();
});

/** Console errors and page exceptions (a CSP violation is a console error). */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

async function pick(page: Page, certificateId: string): Promise<void> {
  await page.check(`#certs tr[data-id="${certificateId}"] input`);
}

/** Waits until the report lists `count` signatures and the preview shows them. */
async function reported(page: Page, count: number): Promise<void> {
  await page.waitForSelector(`#preview[data-signatures="${count}"] canvas`, { timeout: 60_000 });
  expect(await page.$$('#report tr')).toHaveLength(count);
}

describe('demo page in Chromium', () => {
  it('approves, issues and copies the sample decision, previews, downloads and verifies each step', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchConsole(page);
    await page.goto(demo.url);
    const leader = agent.pki.token('leader');
    const seal = agent.pki.token('seal');
    const clerk = agent.pki.token('clerk');
    await page.waitForSelector(`#certs tr[data-id="${leader.certificateId}"]`, { timeout: 20_000 });
    const listed = await page.$$eval('#certs tr', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.id),
    );
    for (const t of agent.pki.tokens.filter((t) => !t.expired))
      expect(listed).toContain(t.certificateId);
    expect(listed).not.toContain(agent.pki.token('expired').certificateId);
    expect(await page.textContent('#status')).toMatch(/Kyso Agent .* protocol 1\.0/);
    // The sample, unsigned, previewed by pdf.js.
    await reported(page, 0);
    expect(await page.textContent('#verdict')).toMatch(/chưa có chữ ký/);
    expect(await page.inputValue('#anchor')).toBe(SAMPLE_SIGNER);
    await page.screenshot({ path: join(SHOTS, '1-sample.png'), fullPage: true });

    // 1. The leader approves: signature image over the name.
    await pick(page, leader.certificateId);
    await page.click('#approve');
    await reported(page, 1);
    expect(await page.getAttribute('#report tr:nth-child(1)', 'data-preset')).toBe('approval');
    expect(await page.textContent('#report tr:nth-child(1)')).toContain(SAMPLE_SIGNER);
    expect(await page.getAttribute('#report tr:nth-child(1)', 'data-valid')).toBe('true');
    await page.screenshot({ path: join(SHOTS, '2-approved.png'), fullPage: true });

    // 2. The clerk issues with the organisation's seal: number and date into [SO_VB], [NGAY_BH].
    await pick(page, seal.certificateId);
    await page.fill('#docnumber', '12/QĐ-UBND');
    await page.fill('#issueddate', '2026-03-05');
    await page.click('#issue');
    await reported(page, 2);
    expect(await page.getAttribute('#report tr:nth-child(2)', 'data-preset')).toBe('issuance');
    await page.screenshot({ path: join(SHOTS, '3-issued.png'), fullPage: true });

    // 3. A copy signature by the clerk, through sign.pdfs with per-document progress.
    await pick(page, clerk.certificateId);
    await page.selectOption('#extrapreset', 'copy');
    await page.click('#extra');
    await reported(page, 3);
    expect(await page.textContent('#progress')).toMatch(/1\/1/);
    expect(await page.getAttribute('#report tr:nth-child(3)', 'data-preset')).toBe('copy');
    expect(await page.getAttribute('#verdict', 'data-valid')).toBe('true');
    expect(await page.textContent('#verdict')).toMatch(/Tất cả 3 chữ ký hợp lệ/);
    await page.screenshot({ path: join(SHOTS, '4-copied.png'), fullPage: true });

    // The download is the signed document: three signatures, each valid under the TEST root.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const file = await download.path();
    const signed = readFileSync(file);
    const report = await verifyPdf(signed, {
      trustAnchors: [readFileSync(agent.pki.rootCaPem)],
    });
    expect(report.signatures.map((s) => [s.preset, s.valid])).toEqual([
      ['approval', true],
      ['issuance', true],
      ['copy', true],
    ]);
    expect(download.suggestedFilename()).toBe('Quyết định (mẫu).pdf');
    // The user saw each document's name in the consent dialog.
    const shown = agent.consent.log.filter((e) => e.kind === 'signing');
    expect(shown.length).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a page from an origin the user refuses sees ORIGIN_NOT_ALLOWED, with when to retry', async () => {
    const page = await browser.newPage();
    await page.goto(foreignDemo.url);
    await page.waitForSelector('#error:not([hidden])', { timeout: 20_000 });
    expect(await page.getAttribute('#error', 'data-code')).toBe('ORIGIN_NOT_ALLOWED');
    expect(await page.textContent('#error')).toMatch(/chưa được phép[\s\S]*thử lại sau 10 phút/);
    await page.screenshot({ path: join(SHOTS, '5-origin-refused.png') });
    await page.close();
  });

  it('a page whose agent is not running says AGENT_NOT_RUNNING and still previews the sample', async () => {
    const stopped = await startDemoServer({ port: 0, agentUrl: 'ws://127.0.0.1:1' });
    try {
      const page = await browser.newPage();
      await page.goto(stopped.url);
      await page.waitForSelector('#error:not([hidden])', { timeout: 20_000 });
      expect(await page.getAttribute('#error', 'data-code')).toBe('AGENT_NOT_RUNNING');
      await page.waitForSelector('#preview canvas', { timeout: 20_000 });
      await page.close();
    } finally {
      await stopped.close();
    }
  });
});

describe('Chrome local network access (the page looks public to Chromium)', () => {
  it('blocked: the page says LOCAL_NETWORK_ACCESS_BLOCKED; once allowed, the page signs', async () => {
    // http://vanban.example:PORT, mapped to 127.0.0.1, a secure context like the https site
    // it stands for, with its address overridden to "public": Chromium applies its local
    // network access checks to the page's connection to 127.0.0.1.
    const publicDemo = await startDemoServer({ port: 0, agentUrl: agent.url });
    const port = new URL(publicDemo.url).port;
    const origin = `http://vanban.example:${port}`;
    agent.server.allowOrigin(origin);
    const context = await launchChromiumContext([
      '--host-resolver-rules=MAP vanban.example 127.0.0.1',
      `--unsafely-treat-insecure-origin-as-secure=${origin}`,
      `--ip-address-space-overrides=127.0.0.1:${port}=public`,
    ]);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${origin}/`);
      await page.waitForSelector('#error:not([hidden])', { timeout: 20_000 });
      expect(await page.getAttribute('#error', 'data-code')).toBe('LOCAL_NETWORK_ACCESS_BLOCKED');
      expect(await page.textContent('#error')).toMatch(/LocalNetworkAccessAllowedForUrls/);
      await page.screenshot({ path: join(SHOTS, '6-local-network-blocked.png') });
      // What the user's "Allow" (or the administrator's policy) does:
      const cdp = await context.newCDPSession(page);
      await cdp.send('Browser.grantPermissions', {
        permissions: ['localNetworkAccess', 'localNetwork', 'loopbackNetwork'],
        origin,
      });
      await page.reload();
      const leader = agent.pki.token('leader');
      await page.waitForSelector(`#certs tr[data-id="${leader.certificateId}"]`, {
        timeout: 20_000,
      });
      await reported(page, 0);
      await pick(page, leader.certificateId);
      await page.click('#approve');
      await reported(page, 1);
      expect(await page.getAttribute('#report tr:nth-child(1)', 'data-valid')).toBe('true');
    } finally {
      await context.close();
      await publicDemo.close();
    }
  });
});
