import { describe, expect, it } from 'vitest';
import { certificateMethods } from './methods/certificates.ts';
import type { MethodContext } from './methods/registry.ts';
import { signMethods } from './methods/sign.ts';
import { RpcError } from './jsonrpc.ts';

const ctx = { config: { limits: { maxBatchItems: 10 } } } as unknown as MethodContext;

async function rpcError(call: Promise<unknown>): Promise<ReturnType<RpcError['toJSON']>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RpcError) return error.toJSON();
    throw error;
  }
  throw new Error('no error');
}

describe('method params', () => {
  it('reports every problem in one -32602, the first in data.field', async () => {
    const sign = signMethods['sign.hash'];
    if (!sign) throw new Error('sign.hash');
    const error = await rpcError(
      sign({ certificateID: 'x', hashAlgorithm: 'MD5', hash: 'not base64!' }, ctx),
    );
    expect(error.code).toBe(-32602);
    expect(error.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'certificateID' });
    const problems = error.data.details?.problems as { field: string; en: string; vi: string }[];
    expect(problems.map((p) => p.field)).toEqual([
      'certificateID',
      'certificateId',
      'hashAlgorithm',
      'hash',
    ]);
    expect(problems[0]?.en).toContain('did you mean `certificateId`?');
    expect(problems.every((p) => p.vi.length > 0 && p.en.length > 0)).toBe(true);
  });

  it('keeps specific reasons: a digest of the wrong length is HASH_LENGTH_MISMATCH at its item', async () => {
    const sign = signMethods['sign.hashes'];
    if (!sign) throw new Error('sign.hashes');
    const error = await rpcError(
      sign(
        {
          certificateId: 'a'.repeat(64),
          hashAlgorithm: 'SHA-256',
          items: [
            { name: 'a', hash: Buffer.alloc(32).toString('base64') },
            { name: 'b', hash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'SHA-512' },
          ],
        },
        ctx,
      ),
    );
    expect(error.data).toMatchObject({ reason: 'HASH_LENGTH_MISMATCH', field: 'items[1].hash' });
  });

  it('names the list for a bad filter value, saying which element', async () => {
    const list = certificateMethods['certificates.list'];
    if (!list) throw new Error('certificates.list');
    const error = await rpcError(list({ keyUsage: ['digitalSignature', 'signing'] }, ctx));
    expect(error.data.field).toBe('keyUsage');
    expect(error.data.details?.problem).toContain('keyUsage[1] = "signing"');
  });
});
