import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildClient, buildClientTypes } from './build-client.ts';
import { makeSampleDecision, SAMPLE_PDF, SAMPLE_SIGNER } from './sample-pdf.ts';

describe('browser SDK bundle', () => {
  it('is one dependency-free ES module exporting the client and its error type', async () => {
    const code = await buildClient();
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/require\(/);
    expect(code).toMatch(/export\s*\{[^}]*KysoClient[^}]*\}/s);
    expect(code).toMatch(/KysoClientError/);
    expect(code).toContain('LocalNetworkAccessAllowedForUrls');
    // The catalog, warnings and chunked document transfer travel with the SDK.
    expect(code.length).toBeLessThan(64_000);
  });

  it('has TypeScript declarations for the client, its options and errors', () => {
    const types = buildClientTypes();
    expect(types).toMatch(/export declare class KysoClient/);
    expect(types).toMatch(/export declare class KysoClientError/);
    expect(types).toMatch(/signHash\(params: SignHashParams\): Promise<SignHashResult>/);
    expect(types).toMatch(/'LOCAL_NETWORK_ACCESS_BLOCKED'/);
    expect(types).toMatch(/'PORT_IN_USE_BY_OTHER_PROGRAM'/);
    expect(types).toMatch(/signPdf\(params: SignPdfParams\): Promise<WithWarnings<SignPdfResult>>/);
    expect(types).toMatch(/onProgress\?: \(progress: SignPdfsProgress\) => void/);
  });
});

describe('sample decision', () => {
  it('is what its generator makes, with the placeholders and the signer as text', async () => {
    const committed = readFileSync(SAMPLE_PDF);
    expect(Buffer.from(await makeSampleDecision()).equals(committed)).toBe(true);
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const pdf = await getDocument({ data: new Uint8Array(committed), isEvalSupported: false })
      .promise;
    const page = await pdf.getPage(1);
    const text = (await page.getTextContent()).items
      .map((item) => ('str' in item ? item.str : ''))
      .join('\n');
    for (const needle of ['QUYẾT ĐỊNH', '[SO_VB]', '[NGAY_BH]', 'CHỦ TỊCH', SAMPLE_SIGNER])
      expect(text).toContain(needle);
    await pdf.destroy();
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
      for (const path of ['/sample.pdf', '/signature.png', '/seal.png', '/pdfjs/pdf.min.mjs']) {
        const response = await fetch(new URL(path, first.url));
        expect(response.status, path).toBe(200);
        await response.arrayBuffer();
      }
      const worker = await fetch(new URL('/pdfjs/pdf.worker.min.mjs', first.url));
      expect(worker.headers.get('content-type')).toMatch(/javascript/);
      // Chromium rejects IPv6 literal host sources (a console error): none in the policy.
      expect(worker.headers.get('content-security-policy')).not.toMatch(/\[::1\]/);
    } finally {
      await first.close();
    }
  });
});
