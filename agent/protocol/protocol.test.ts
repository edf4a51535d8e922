import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildClient, buildClientTypes } from '../../demo/build-client.ts';
import type { VerifyResult } from '../pdf/index.ts';
import { buildRegistry, type MethodContext } from '../server/methods/registry.ts';
import {
  catalog,
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  errorMessage,
  isErrorCode,
  METHOD_NAMES,
  NOTIFICATION_NAMES,
  PROTOCOL_VERSION,
  type AgentInfo,
  type ErrorObject,
  type VerifyPdfResult,
} from './index.ts';
import { KysoError } from '../errors/index.ts';

const dir = new URL('.', import.meta.url).pathname;

describe('error catalog', () => {
  it('gives every code a Vietnamese and an English message', () => {
    expect(ERROR_CODES).toEqual(Object.keys(catalog));
    expect(ERROR_CODES.length).toBeGreaterThan(40);
    for (const code of ERROR_CODES) {
      const { vi, en } = catalog[code];
      expect(vi.trim(), code).not.toBe('');
      expect(en.trim(), code).not.toBe('');
      expect(vi, code).not.toBe(en);
    }
  });

  it('holds the codes the SDK raises itself, with text that says what to do', () => {
    for (const code of CLIENT_ERROR_CODES) {
      expect(isErrorCode(code)).toBe(true);
      expect(catalog[code].en, code).toMatch(/retry|allow|approve|open|ask/i);
    }
    expect(CLIENT_ERROR_CODES).toEqual(
      expect.arrayContaining(['AGENT_NOT_RUNNING', 'LOCAL_NETWORK_ACCESS_BLOCKED', 'TIMEOUT']),
    );
  });

  it('answers INTERNAL_ERROR for an unknown code, and ignores inherited names', () => {
    expect(isErrorCode('toString')).toBe(false);
    expect(errorMessage('NO_SUCH_CODE')).toBe(catalog.INTERNAL_ERROR);
    expect(errorMessage('PIN_LOCKED')).toBe(catalog.PIN_LOCKED);
  });

  it('is what KysoError carries', () => {
    const json: ErrorObject = new KysoError('TOKEN_REMOVED').toJSON();
    expect(json.message).toEqual(catalog.TOKEN_REMOVED);
  });
});

describe('browser SDK bundle', () => {
  it('carries the same messages as the agent', async () => {
    const code = await buildClient();
    // Readable text in the file, not \u escapes.
    for (const c of ERROR_CODES) expect(code, c).toContain(catalog[c].vi.slice(0, 30));
    const tmp = mkdtempSync(join(tmpdir(), 'kyso-sdk-'));
    try {
      const file = join(tmp, 'kyso-client.mjs');
      writeFileSync(file, code);
      const sdk = (await import(pathToFileURL(file).href)) as {
        catalog: unknown;
        ERROR_CODES: unknown;
        METHOD_NAMES: unknown;
        PROTOCOL_VERSION: unknown;
      };
      expect(sdk.catalog).toEqual(catalog);
      expect(sdk.ERROR_CODES).toEqual(ERROR_CODES);
      expect(sdk.METHOD_NAMES).toEqual(METHOD_NAMES);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('declares the protocol in one self-contained file', () => {
    const types = buildClientTypes();
    expect(types).not.toMatch(/^\s*(?:import|export)\b[^;]*\bfrom\s+'/m);
    expect(types).toMatch(/export declare const catalog/);
    expect(types).toMatch(/export interface Methods/);
  });
});

describe('protocol module', () => {
  it('imports nothing outside itself', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files).toContain('index.ts');
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      const specifiers = [
        ...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm),
        ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
      ].map((m) => m[1] ?? '');
      for (const specifier of specifiers) expect(specifier, file).toMatch(/^\.\/[\w-]+\.ts$/);
      expect(source, file).not.toMatch(/\brequire\(|\bimport\(/);
    }
  });

  it('names every method the server registers, and only those', () => {
    expect([...METHOD_NAMES].sort()).toEqual([...buildRegistry().keys()].sort());
  });

  it('is what agent.info announces', async () => {
    const ctx = {
      origin: 'https://vanban.example.gov.vn',
      agentVersion: '0.0.0',
      methodNames: [...METHOD_NAMES],
      config: {
        limits: { maxPayloadBytes: 1, maxInFlight: 2, maxBatchItems: 3 },
        pinCache: { enabled: false, ttlSeconds: 0 },
      },
    } as unknown as MethodContext;
    const handler = buildRegistry().get('agent.info');
    const info = (await handler?.({ protocolVersion: PROTOCOL_VERSION }, ctx)) as AgentInfo;
    expect(info.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(info.notifications).toEqual([...NOTIFICATION_NAMES]);
  });

  it('describes verify.pdf results as agent/pdf builds them', () => {
    expectTypeOf<VerifyResult>().toMatchTypeOf<VerifyPdfResult>();
  });
});
