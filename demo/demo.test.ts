import { describe, expect, it } from 'vitest';
import { buildClient, buildClientTypes } from './build-client.ts';

describe('browser SDK bundle', () => {
  it('is one dependency-free ES module exporting the client and its error type', async () => {
    const code = await buildClient();
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/require\(/);
    expect(code).toMatch(/export\s*\{[^}]*KysoClient[^}]*\}/s);
    expect(code).toMatch(/KysoClientError/);
    expect(code).toContain('LocalNetworkAccessAllowedForUrls');
    expect(code.length).toBeLessThan(40_000);
  });

  it('has TypeScript declarations for the client, its options and errors', () => {
    const types = buildClientTypes();
    expect(types).toMatch(/export declare class KysoClient/);
    expect(types).toMatch(/export declare class KysoClientError/);
    expect(types).toMatch(/signHash\(params: SignHashParams\): Promise<SignHashResult>/);
    expect(types).toMatch(/'LOCAL_NETWORK_ACCESS_BLOCKED'/);
  });
});

describe('demo server', () => {
  it('says PORT_IN_USE when its port is taken', async () => {
    const { startDemoServer } = await import('./serve.ts');
    const first = await startDemoServer({ port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startDemoServer({ port })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
      const page = await fetch(first.url);
      expect(await page.text()).toMatch(/Hệ thống quản lý văn bản/);
      expect((await fetch(new URL('/kyso-client.js', first.url))).status).toBe(200);
    } finally {
      await first.close();
    }
  });
});
