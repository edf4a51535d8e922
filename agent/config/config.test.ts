import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import {
  configPaths,
  DEFAULT_PORT,
  loadConfig,
  loadTrust,
  normaliseOrigin,
  OriginStore,
  parseConfig,
} from './index.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'kyso-config-'));
}

function failure(fn: () => unknown): { code: string; field: unknown } {
  try {
    fn();
  } catch (error) {
    if (isKysoError(error)) return { code: error.code, field: error.details.field };
    throw error;
  }
  throw new Error('did not throw');
}

describe('config', () => {
  it('fills defaults: port 51987, PIN cache off, 64 MiB messages', () => {
    const config = loadConfig(join(dir(), 'missing.json'));
    expect(config.port).toBe(DEFAULT_PORT);
    expect(DEFAULT_PORT).toBe(51987);
    expect(config.pinCache.enabled).toBe(false);
    expect(config.limits.maxPayloadBytes).toBe(64 * 1024 * 1024);
  });

  it('reads and normalises allowed origins', () => {
    const file = join(dir(), 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 50000,
        allowedOrigins: ['HTTPS://VanBan.Example.gov.vn:443/', 'http://127.0.0.1:8080'],
        pinCache: { enabled: true, ttlSeconds: 60 },
        limits: { maxInFlight: 4 },
      }),
    );
    const config = loadConfig(file);
    expect(config.allowedOrigins).toEqual([
      'https://vanban.example.gov.vn',
      'http://127.0.0.1:8080',
    ]);
    expect(config.pinCache).toEqual({ enabled: true, ttlSeconds: 60 });
    expect(config.limits.maxInFlight).toBe(4);
    expect(config.limits.rateBurst).toBe(200);
  });

  it('names the failing field for every bad setting', () => {
    expect(failure(() => parseConfig([]))).toEqual({ code: 'CONFIG_INVALID', field: '(root)' });
    expect(failure(() => parseConfig({ port: 70000 }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'port',
    });
    expect(failure(() => parseConfig({ port: '1' }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'port',
    });
    expect(failure(() => parseConfig({ allowedOrigins: ['file:///x'] }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'allowedOrigins[0]',
    });
    expect(failure(() => parseConfig({ allowedOrigins: 'x' }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'allowedOrigins',
    });
    expect(failure(() => parseConfig({ pinCache: { enabled: 'yes' } }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'pinCache.enabled',
    });
    expect(failure(() => parseConfig({ limits: { maxInFlit: 3 } }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'limits.maxInFlit',
    });
    expect(failure(() => parseConfig({ portt: 3 }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'portt',
    });
    const file = join(dir(), 'broken.json');
    writeFileSync(file, '{ "port": ');
    expect(failure(() => loadConfig(file))).toEqual({ code: 'CONFIG_INVALID', field: '(json)' });
  });

  it('normalises origins and rejects non-origins', () => {
    expect(normaliseOrigin('http://localhost:3000')).toBe('http://localhost:3000');
    expect(normaliseOrigin('https://a.vn:443')).toBe('https://a.vn');
    expect(normaliseOrigin('null')).toBeNull();
    expect(normaliseOrigin('chrome-extension://abc')).toBeNull();
    expect(normaliseOrigin('https://a.vn/path')).toBeNull();
    expect(normaliseOrigin('https://user:pw@a.vn')).toBeNull();
  });
});

describe('config: trust', () => {
  const pki = (): { rootCaPem: string; issuingCaPem: string } =>
    JSON.parse(readFileSync(process.env.KYSO_TEST_PKI ?? '', 'utf8')) as {
      rootCaPem: string;
      issuingCaPem: string;
    };
  const write = (json: unknown): string => {
    const file = join(dir(), 'config.json');
    writeFileSync(file, JSON.stringify(json));
    return file;
  };
  const details = (fn: () => unknown): Record<string, unknown> => {
    try {
      fn();
    } catch (error) {
      if (isKysoError(error)) return { code: error.code, ...error.details };
      throw error;
    }
    throw new Error('did not throw');
  };

  it('defaults to no anchors and no intermediates', () => {
    expect(parseConfig({}).trust).toEqual({ anchors: [], intermediates: [] });
    expect(loadTrust(parseConfig({}).trust)).toEqual({ anchors: [], intermediates: [] });
  });

  it('loads the PEM files, relative paths from the config folder', () => {
    const { rootCaPem, issuingCaPem } = pki();
    const folder = dir();
    copyFileSync(rootCaPem, join(folder, 'root.pem'));
    const file = join(folder, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ trust: { anchors: ['root.pem'], intermediates: [issuingCaPem] } }),
    );
    const config = loadConfig(file);
    expect(config.trust).toEqual({
      anchors: [join(folder, 'root.pem')],
      intermediates: [issuingCaPem],
    });
    const material = loadTrust(config.trust);
    expect(material.anchors).toHaveLength(1);
    expect(new X509Certificate(material.anchors[0] as Buffer).subject).toContain('TEST Root CA');
    expect(new X509Certificate(material.intermediates[0] as Buffer).subject).toContain('G2');
  });

  it('names the field for bad types and unknown keys', () => {
    expect(failure(() => parseConfig({ trust: [] }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'trust',
    });
    expect(failure(() => parseConfig({ trust: { anchor: [] } }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'trust.anchor',
    });
    expect(failure(() => parseConfig({ trust: { anchors: 'root.pem' } }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'trust.anchors',
    });
    expect(failure(() => parseConfig({ trust: { intermediates: ['a.pem', ' '] } }))).toEqual({
      code: 'CONFIG_INVALID',
      field: 'trust.intermediates[1]',
    });
  });

  it('fails with CONFIG_INVALID, the field and the path for a missing or broken PEM', () => {
    const missing = join(dir(), 'nowhere.pem');
    expect(details(() => loadConfig(write({ trust: { anchors: [missing] } })))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'trust.anchors[0]',
      path: missing,
      problem: 'unreadable (ENOENT)',
    });
    const broken = join(dir(), 'broken.pem');
    writeFileSync(
      broken,
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
    );
    const { rootCaPem } = pki();
    expect(
      details(() =>
        loadConfig(write({ trust: { anchors: [rootCaPem], intermediates: [broken] } })),
      ),
    ).toMatchObject({ code: 'CONFIG_INVALID', field: 'trust.intermediates[0]', path: broken });
    const key = join(dir(), 'key.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(details(() => loadTrust({ anchors: [key], intermediates: [] }))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'trust.anchors[0]',
      problem: 'not a PEM or DER X.509 certificate',
    });
  });
});

describe('OriginStore', () => {
  it('remembers, lists and revokes approved origins in a file', () => {
    const { origins } = configPaths(dir());
    const store = new OriginStore(origins);
    expect(store.list()).toEqual([]);
    store.add('https://vanban.example.gov.vn/', new Date('2026-11-23T00:00:00Z'));
    store.add('http://127.0.0.1:9000');
    expect(store.has('https://vanban.example.gov.vn')).toBe(true);
    expect(new OriginStore(origins).list().map((o) => o.origin)).toEqual([
      'https://vanban.example.gov.vn',
      'http://127.0.0.1:9000',
    ]);
    expect(store.revoke('https://vanban.example.gov.vn')).toBe(true);
    expect(store.revoke('https://vanban.example.gov.vn')).toBe(false);
    expect(store.has('https://vanban.example.gov.vn')).toBe(false);
    expect(JSON.parse(readFileSync(origins, 'utf8'))).toMatchObject({ version: 1 });
  });

  it('refuses to store a non-origin and reports a corrupt store', () => {
    const { origins } = configPaths(dir());
    const store = new OriginStore(origins);
    expect(failure(() => store.add('javascript:alert(1)'))).toEqual({
      code: 'INVALID_INPUT',
      field: 'origin',
    });
    writeFileSync(origins, 'nope');
    expect(failure(() => store.list()).code).toBe('CONFIG_INVALID');
  });
});
