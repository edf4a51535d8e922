import { describe, expect, it } from 'vitest';
import type { CertificateInfo } from '../tokens/index.ts';
import { parseRequest, RpcError, toRpcError } from './jsonrpc.ts';
import { filterCertificates } from './methods/certificates.ts';
import { buildRegistry } from './methods/registry.ts';
import { Params } from './params.ts';
import { isLoopbackHost, RateLimiter } from './security.ts';
import { KysoError } from '../errors/index.ts';

describe('isLoopbackHost', () => {
  it('accepts loopback names with any port and nothing else', () => {
    for (const host of [
      'localhost',
      'localhost:51987',
      '127.0.0.1:1',
      '[::1]:51987',
      'LOCALHOST',
      'app.localhost',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      undefined,
      '',
      'evil.example',
      'evil.example:51987',
      '127.0.0.2',
      'localhost.evil.example',
      'localhost@evil.example',
      'evil.example#.localhost',
      '0.0.0.0',
      '[::2]',
    ]) {
      expect(isLoopbackHost(host), String(host)).toBe(false);
    }
  });
});

describe('parseRequest', () => {
  it('separates notifications, requests and each kind of invalid frame', () => {
    expect(parseRequest('{"jsonrpc":"2.0","id":"a","method":"m","params":{}}')).toMatchObject({
      ok: true,
      request: { id: 'a', hasId: true, method: 'm' },
    });
    expect(parseRequest('{"jsonrpc":"2.0","method":"m"}')).toMatchObject({
      ok: true,
      request: { hasId: false, id: null },
    });
    const codeOf = (text: string) => {
      const r = parseRequest(text);
      return r.ok ? 'ok' : r.error.rpcCode;
    };
    expect(codeOf('{')).toBe(-32700);
    expect(codeOf('[1]')).toBe(-32600);
    expect(codeOf('"x"')).toBe(-32600);
    expect(codeOf('{"jsonrpc":"1.0","id":1,"method":"m"}')).toBe(-32600);
    expect(codeOf('{"jsonrpc":"2.0","id":1,"method":""}')).toBe(-32600);
    expect(codeOf('{"jsonrpc":"2.0","id":1,"method":"m","params":3}')).toBe(-32600);
    expect(codeOf('{"jsonrpc":"2.0","id":true,"method":"m"}')).toBe(-32600);
  });

  it('maps errors: params codes to -32602, internal causes hidden, others -32000', () => {
    expect(
      toRpcError(new KysoError('HASH_LENGTH_MISMATCH', { field: 'hash' })).toJSON(),
    ).toMatchObject({
      code: -32602,
      data: { reason: 'HASH_LENGTH_MISMATCH', field: 'hash' },
    });
    const internal = toRpcError(new Error('/secret/path exploded')).toJSON();
    expect(internal.code).toBe(-32603);
    expect(JSON.stringify(internal)).not.toContain('/secret/path');
    expect(toRpcError(new KysoError('USER_CANCELLED')).toJSON()).toMatchObject({
      code: -32000,
      data: { reason: 'USER_CANCELLED' },
    });
    expect(RpcError.invalidParams('x', 'a string').toJSON().data.message.vi).toBeTruthy();
  });
});

describe('Params', () => {
  it('names nested fields', () => {
    const p = new Params({ items: [{ name: 'a' }, { name: 3 }] });
    const items = p.objects('items', 10);
    expect(items[0]?.string('name')).toBe('a');
    expect(() => items[1]?.string('name')).toThrow(
      expect.objectContaining({ field: 'items[1].name' }),
    );
    expect(() => new Params([])).toThrow(expect.objectContaining({ field: 'params' }));
  });
});

describe('registry', () => {
  it('refuses a method registered twice', () => {
    const handler = async () => null;
    expect(() => buildRegistry([{ 'a.b': handler }, { 'a.b': handler }])).toThrow(/twice/);
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then refills at the rate', () => {
    const limiter = new RateLimiter(2, 3);
    const t0 = Date.now();
    expect([1, 2, 3, 4].map(() => limiter.take(t0))).toEqual([true, true, true, false]);
    expect(limiter.take(t0 + 499)).toBe(false);
    expect(limiter.take(t0 + 1000)).toBe(true);
  });
});

describe('filterCertificates', () => {
  const cert = (over: Partial<CertificateInfo>): CertificateInfo =>
    ({
      id: 'a',
      tokenId: 't',
      hasPrivateKey: true,
      keyUsage: ['digitalSignature'],
      issuer: { text: 'CN=TEST CA, O=Ban Cơ yếu Chính phủ', attributes: [] },
      notBefore: '2020-01-01T00:00:00Z',
      notAfter: '2030-01-01T00:00:00Z',
      ...over,
    }) as CertificateInfo;
  it('matches issuer case-insensitively with Vietnamese letters and validity at a given time', () => {
    const list = [
      cert({ id: 'a' }),
      cert({ id: 'b', notAfter: '2021-01-01T00:00:00Z' }),
      cert({ id: 'c', hasPrivateKey: false }),
    ];
    const ids = (q: Parameters<typeof filterCertificates>[1]) =>
      filterCertificates(list, q, new Date('2025-01-01T00:00:00Z')).map((c) => c.id);
    expect(ids({ withPrivateKey: true, issuer: 'BAN CƠ YẾU' })).toEqual(['a', 'b']);
    expect(ids({ withPrivateKey: true, validNow: true })).toEqual(['a']);
    expect(ids({ withPrivateKey: false })).toEqual(['a', 'b', 'c']);
    expect(ids({ withPrivateKey: true, keyUsage: ['nonRepudiation'] })).toEqual([]);
  });
});

describe('sign.pdf placement', () => {
  it('refuses rect and anchor together, as kyso sign does, before the pipeline runs', async () => {
    const { pdfMethods } = await import('./methods/pdf.ts');
    const handler = pdfMethods['sign.pdf'];
    const untouched = new Proxy(
      {},
      {
        get: () => {
          throw new Error('must not be called');
        },
      },
    );
    await expect(
      handler?.(
        {
          certificateId: 'a'.repeat(64),
          pdf: Buffer.from('%PDF-1.7\n').toString('base64'),
          placement: { page: 1, rect: [0, 0, 100, 50], anchor: 'Ký tên' },
        },
        untouched as never,
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'placement', problem: 'a rect or an anchor, not both' },
    });
  });
});
