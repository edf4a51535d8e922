/** The document store and the base64 reader behind document.upload.* (no socket). */
import { describe, expect, it } from 'vitest';
import { DocumentStore, documentStoreFor, totalStoredBytes } from '../../signing/index.ts';
import { decodeBase64 } from '../params.ts';

describe('decodeBase64', () => {
  it('accepts exactly padded standard base64, in linear time', () => {
    const good = ['QUJD', 'QUI=', 'QQ==', 'QUJDQQ=='];
    const bad = ['', 'QUJ', 'Q===', 'QU=D', 'QQ==QUJD', 'AB-_', 'QU JD', 'QUJD\n', 'QUJ*', '===='];
    expect(good.map((v) => decodeBase64(v)?.toString('latin1'))).toEqual([
      'ABC',
      'AB',
      'A',
      'ABCA',
    ]);
    expect(bad.map((v) => decodeBase64(v))).toEqual(bad.map(() => undefined));
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    expect(decodeBase64(big.toString('base64'))?.equals(big)).toBe(true);
  });
});

describe('DocumentStore', () => {
  const limits = { maxDocumentBytes: 1000, maxStoredBytes: 1500 };

  it('takes chunks in order, checks sizes and the budget, and reads back', async () => {
    const store = new DocumentStore(limits);
    await expect(store.begin(1001)).rejects.toMatchObject({ code: 'DOCUMENT_TOO_LARGE' });
    const id = await store.begin(6);
    await expect(store.write(id, 3, Buffer.from('def'))).rejects.toMatchObject({
      details: { field: 'offset', expectedOffset: 0 },
    });
    expect(await store.write(id, 0, Buffer.from('abc'))).toMatchObject({ complete: false });
    expect(() => store.pathOf(id)).toThrow(
      expect.objectContaining({ code: 'DOCUMENT_INCOMPLETE' }),
    );
    expect(await store.write(id, 3, Buffer.from('def'))).toMatchObject({ complete: true });
    expect((await store.read(id, 2, 100)).toString()).toBe('cdef');
    await expect(store.begin(1000)).resolves.toMatch(/^[0-9a-f]{32}$/);
    await expect(store.begin(600)).rejects.toMatchObject({
      code: 'DOCUMENT_TOO_LARGE',
      details: { reason: 'store-full' },
    });
    await store.close();
    expect(store.storedBytes).toBe(0);
  });

  it('is one store per connection, emptied when the connection closes', async () => {
    const connection = new AbortController();
    const store = documentStoreFor(connection.signal, limits);
    expect(documentStoreFor(connection.signal, limits)).toBe(store);
    const id = await store.begin(3);
    await store.write(id, 0, Buffer.from('abc'));
    connection.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(() => store.pathOf(id)).toThrow(expect.objectContaining({ code: 'DOCUMENT_NOT_FOUND' }));
    await expect(store.begin(1)).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
  });

  it('counts every store against the agent-wide cap, uploads begun at once included', async () => {
    const shared = { ...limits, maxTotalStoredBytes: 2000 };
    const stores = [
      new DocumentStore(shared),
      new DocumentStore(shared),
      new DocumentStore(shared),
    ];
    const begun = await Promise.allSettled(stores.map((s) => s.begin(900)));
    expect(begun.map((b) => b.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(begun[2]).toMatchObject({
      reason: {
        code: 'DOCUMENT_TOO_LARGE',
        details: {
          reason: 'agent-store-full',
          limit: 'maxTotalStoredBytes',
          totalStoredBytes: 1800,
          maxTotalStoredBytes: 2000,
        },
      },
    });
    expect(totalStoredBytes()).toBe(1800);
    await stores[0]?.close();
    await expect(stores[2]?.begin(900)).resolves.toMatch(/^[0-9a-f]{32}$/);
    await Promise.all(stores.map((s) => s.close()));
    expect(totalStoredBytes()).toBe(0);
  });
});
