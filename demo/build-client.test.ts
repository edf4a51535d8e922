import { describe, expect, it } from 'vitest';
import { buildClient } from './build-client.ts';

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
});
