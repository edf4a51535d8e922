/** JSON-RPC methods and their error paths against a real agent on SoftHSM2. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../agent/journal/index.ts';
import { PROTOCOL_VERSION } from '../agent/server/index.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';
import { verifies } from './server-verify.ts';

let agent: TestAgent;
let client: TestClient;

beforeAll(async () => {
  agent = await startTestAgent();
  client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
});

afterAll(async () => {
  client.close();
  await agent.close();
});

function digestOf(message: Buffer, alg = 'sha256'): string {
  return createHash(alg).update(message).digest('base64');
}

describe('agent.info', () => {
  it('returns versions, methods and limits', async () => {
    const reply = await client.call('agent.info', { protocolVersion: '1.0', client: 'test' });
    expect(reply.error).toBeUndefined();
    expect(reply.result).toMatchObject({
      agent: 'Kyso Agent',
      protocolVersion: PROTOCOL_VERSION,
      origin: TEST_ORIGIN,
      notifications: ['tokens.changed', 'sign.pdfs.progress'],
    });
    expect(reply.result?.methods).toEqual(
      expect.arrayContaining([
        'agent.info',
        'tokens.list',
        'certificates.list',
        'sign.hash',
        'sign.hashes',
      ]),
    );
  });

  it('accepts a newer minor, refuses another major with PROTOCOL_VERSION_UNSUPPORTED', async () => {
    expect((await client.call('agent.info', { protocolVersion: '1.7' })).result).toBeDefined();
    const reply = await client.call('agent.info', { protocolVersion: '2.0' });
    expect(reply.error?.code).toBe(-32000);
    expect(reply.error?.data.reason).toBe('PROTOCOL_VERSION_UNSUPPORTED');
    expect(reply.error?.data.details).toMatchObject({
      agentProtocolVersion: PROTOCOL_VERSION,
      requested: '2.0',
    });
    expect(reply.error?.data.message.vi).toMatch(/Phiên bản giao thức/);
    const bad = await client.call('agent.info', { protocolVersion: 'one' });
    expect(bad.error).toMatchObject({
      code: -32602,
      data: { reason: 'INVALID_INPUT', field: 'protocolVersion' },
    });
  });
});

describe('tokens.list and certificates.list', () => {
  it('lists the test tokens', async () => {
    const reply = await client.call('tokens.list');
    const tokens = reply.result?.tokens as { label: string; pin: { locked: boolean } }[];
    const labels = tokens.map((t) => t.label);
    for (const t of agent.pki.tokens) expect(labels).toContain(t.label);
    expect(JSON.stringify(tokens)).not.toContain(agent.pki.token('leader').pin);
  });

  it('lists certificates and applies every filter', async () => {
    const list = async (params?: object) =>
      (
        (await client.call('certificates.list', params)).result?.certificates as {
          id: string;
          tokenId: string;
        }[]
      ).map((c) => c.id);
    const all = await list();
    for (const t of agent.pki.tokens) expect(all).toContain(t.certificateId);
    const leader = agent.pki.token('leader').certificateId;
    const expired = agent.pki.token('expired').certificateId;
    expect(await list({ thumbprint: leader.toUpperCase() })).toEqual([leader]);
    const valid = await list({ validNow: true });
    expect(valid).toContain(leader);
    expect(valid).not.toContain(expired);
    expect(await list({ issuer: 'no such issuer' })).toEqual([]);
    expect((await list({ issuer: 'test' })).length).toBe(all.length);
    expect(await list({ keyUsage: ['nonRepudiation', 'digitalSignature'] })).toContain(leader);
    expect(await list({ keyUsage: ['keyCertSign'] })).toEqual([]);
    const reply = await client.call('certificates.list', { thumbprint: leader });
    const [cert] = reply.result?.certificates as { tokenId: string }[];
    expect(await list({ tokenId: cert?.tokenId })).toContain(leader);
  });

  it('names the failing field for bad filters', async () => {
    for (const [params, field] of [
      [{ keyUsage: ['signing'] }, 'keyUsage'],
      [{ validNow: 'yes' }, 'validNow'],
      [{ thumbprint: 'abc' }, 'thumbprint'],
      [{ issuer: 5 }, 'issuer'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const reply = await client.call('certificates.list', params);
      expect(reply.error, JSON.stringify(params)).toMatchObject({ code: -32602, data: { field } });
    }
  });
});

describe('sign.hash', () => {
  it('signs a SHA-256 digest that verifies against the certificate (RSA)', async () => {
    const message = randomBytes(1000);
    const reply = await client.call('sign.hash', {
      certificateId: agent.pki.token('leader').certificateId,
      hashAlgorithm: 'SHA-256',
      hash: digestOf(message),
      documentName: 'Quyết định số 12/QĐ-UBND.pdf',
    });
    expect(reply.error).toBeUndefined();
    const result = reply.result as { signature: string; certificate: string; scheme: string };
    expect(result.scheme).toBe('RSASSA-PKCS1-v1_5');
    expect(verifies(result.certificate, message, result.signature)).toBe(true);
    const shown = agent.consent.log.filter((e) => e.kind === 'signing').at(-1);
    expect(shown?.kind === 'signing' && shown.request).toMatchObject({
      origin: TEST_ORIGIN,
      kind: 'hash',
      documents: [{ name: 'Quyết định số 12/QĐ-UBND.pdf', hashAlgorithm: 'SHA-256' }],
    });
  });

  it('signs with ECDSA (DER) and with RSA-PSS and SHA-512', async () => {
    const message = randomBytes(64);
    const ec = await client.call('sign.hash', {
      certificateId: agent.pki.token('ecdsa').certificateId,
      hashAlgorithm: 'SHA-384',
      hash: digestOf(message, 'sha384'),
    });
    const ecResult = ec.result as { signature: string; certificate: string; scheme: string };
    expect(ecResult.scheme).toBe('ECDSA');
    expect(verifies(ecResult.certificate, message, ecResult.signature, 'sha384', 'ECDSA')).toBe(
      true,
    );
    const pss = await client.call('sign.hash', {
      certificateId: agent.pki.token('clerk').certificateId,
      hashAlgorithm: 'SHA-512',
      hash: digestOf(message, 'sha512'),
      scheme: 'RSA-PSS',
    });
    const pssResult = pss.result as { signature: string; certificate: string };
    expect(verifies(pssResult.certificate, message, pssResult.signature, 'sha512', 'RSA-PSS')).toBe(
      true,
    );
  });

  it('refuses bad params with -32602 and the field', async () => {
    const id = agent.pki.token('leader').certificateId;
    const good = { certificateId: id, hashAlgorithm: 'SHA-256', hash: digestOf(Buffer.from('x')) };
    const cases: [object, string, string][] = [
      [{ ...good, certificateId: 'xyz' }, 'certificateId', 'INVALID_INPUT'],
      [{ ...good, hashAlgorithm: 'MD5' }, 'hashAlgorithm', 'INVALID_INPUT'],
      [{ ...good, hash: 'not base64!' }, 'hash', 'INVALID_INPUT'],
      [{ ...good, hash: Buffer.alloc(20).toString('base64') }, 'hash', 'HASH_LENGTH_MISMATCH'],
      [{ ...good, scheme: 'DSA' }, 'scheme', 'INVALID_INPUT'],
      [{ ...good, documentName: '' }, 'documentName', 'INVALID_INPUT'],
      [{ ...good, pin: '111111' }, 'pin', 'INVALID_INPUT'],
      [{ ...good, documentName: 'a\u001b[2Kb.pdf' }, 'documentName', 'INVALID_INPUT'],
      [{ ...good, documentName: 'Hợp đồng\u202Efdp.exe' }, 'documentName', 'INVALID_INPUT'],
      [{ ...good, documentName: 'dòng 1\ndòng 2' }, 'documentName', 'INVALID_INPUT'],
    ];
    for (const [params, field, reason] of cases) {
      const reply = await client.call('sign.hash', params);
      expect(reply.error, field).toMatchObject({ code: -32602, data: { field, reason } });
    }
    const missing = await client.call('sign.hash', {});
    expect(missing.error).toMatchObject({ code: -32602, data: { field: 'certificateId' } });
  });

  it('reports unknown and expired certificates with stable codes', async () => {
    const unknown = await client.call('sign.hash', {
      certificateId: '0'.repeat(64),
      hashAlgorithm: 'SHA-256',
      hash: digestOf(Buffer.from('x')),
    });
    expect(unknown.error).toMatchObject({
      code: -32000,
      data: { reason: 'CERTIFICATE_NOT_FOUND' },
    });
    const expired = await client.call('sign.hash', {
      certificateId: agent.pki.token('expired').certificateId,
      hashAlgorithm: 'SHA-256',
      hash: digestOf(Buffer.from('x')),
    });
    expect(expired.error).toMatchObject({ code: -32000, data: { reason: 'CERTIFICATE_EXPIRED' } });
    expect(expired.error?.data.message.en).toMatch(/renew/);
  });
});

describe('sign.hashes', () => {
  it('signs N named documents with one approval and one PIN', async () => {
    const before = agent.consent.log.length;
    const messages = [0, 1, 2].map(() => randomBytes(300));
    const reply = await client.call('sign.hashes', {
      certificateId: agent.pki.token('seal').certificateId,
      hashAlgorithm: 'SHA-256',
      items: messages.map((m, i) => ({ name: `Công văn ${i + 1}.pdf`, hash: digestOf(m) })),
    });
    expect(reply.error).toBeUndefined();
    const result = reply.result as {
      certificate: string;
      signatures: { name: string; signature: string }[];
    };
    expect(result.signatures.map((s) => s.name)).toEqual([
      'Công văn 1.pdf',
      'Công văn 2.pdf',
      'Công văn 3.pdf',
    ]);
    result.signatures.forEach((s, i) => {
      expect(verifies(result.certificate, messages[i] as Buffer, s.signature)).toBe(true);
    });
    const asked = agent.consent.log.slice(before);
    expect(asked.map((e) => e.kind)).toEqual(['signing', 'pin']);
    const [signing] = asked;
    expect(signing?.kind === 'signing' && signing.request.documents).toHaveLength(3);
  });

  it('names the failing item field', async () => {
    const id = agent.pki.token('seal').certificateId;
    const h = digestOf(Buffer.from('x'));
    const cases: [object, string][] = [
      [{ certificateId: id, hashAlgorithm: 'SHA-256', items: [] }, 'items'],
      [
        {
          certificateId: id,
          hashAlgorithm: 'SHA-256',
          items: [{ name: 'a', hash: h }, { hash: h }],
        },
        'items[1].name',
      ],
      [
        { certificateId: id, hashAlgorithm: 'SHA-256', items: [{ name: 'a', hash: 'AAAA' }] },
        'items[0].hash',
      ],
      [
        {
          certificateId: id,
          hashAlgorithm: 'SHA-256',
          items: [{ name: 'a', hash: h, hashAlgorithm: 'SHA-1' }],
        },
        'items[0].hashAlgorithm',
      ],
      [{ certificateId: id, hashAlgorithm: 'SHA-256', items: 'x' }, 'items'],
      [
        {
          certificateId: id,
          hashAlgorithm: 'SHA-256',
          items: Array.from({ length: 501 }, () => ({ name: 'a', hash: h })),
        },
        'items',
      ],
    ];
    for (const [params, field] of cases) {
      const reply = await client.call('sign.hashes', params);
      expect(reply.error, field).toMatchObject({ code: -32602, data: { field } });
    }
  });
});

describe('framing errors: every request gets a reply', () => {
  it('unknown method -32601, parse error -32700, invalid requests -32600', async () => {
    const unknown = await client.call('sign.everything');
    expect(unknown.error).toMatchObject({
      code: -32601,
      data: { reason: 'INVALID_INPUT', details: { method: 'sign.everything' } },
    });
    const parse = await client.sendRaw('{"jsonrpc":"2.0","id":1,', null);
    expect(parse.error).toMatchObject({ code: -32700 });
    const noVersion = await client.sendRaw(JSON.stringify({ id: 'a', method: 'agent.info' }), 'a');
    expect(noVersion.error?.code).toBe(-32600);
    const positional = await client.sendRaw(
      JSON.stringify({ jsonrpc: '2.0', id: 'b', method: 'agent.info', params: [1] }),
      'b',
    );
    expect(positional.error?.code).toBe(-32600);
    const batch = await client.sendRaw('[]', null);
    expect(batch.error?.code).toBe(-32600);
    const badId = await client.sendRaw(
      JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'agent.info' }),
      null,
    );
    expect(badId.error?.code).toBe(-32600);
    const binary = await client.sendRaw(
      Buffer.from('{"jsonrpc":"2.0","id":9,"method":"agent.info"}'),
      null,
    );
    expect(binary.error?.code).toBe(-32600);
    // A notification (no id) is executed without a reply; the next request still works.
    client.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'agent.info' }));
    expect((await client.call('agent.info')).result).toBeDefined();
  });
});

describe('journal', () => {
  it('holds every signing request with origin, certificate, documents and result, never the PIN', async () => {
    const { records, skipped } = await readJournal(agent.journalFile);
    expect(skipped).toEqual([]);
    const leader = agent.pki.token('leader');
    const signed = records.find((r) => r.documents[0]?.name === 'Quyết định số 12/QĐ-UBND.pdf');
    expect(signed).toMatchObject({
      origin: TEST_ORIGIN,
      method: 'sign.hash',
      certificateId: leader.certificateId,
      tokenLabel: leader.label,
      result: 'signed',
      errorCode: null,
    });
    expect(signed?.certificateSubject).toMatch(/Nguyễn Văn Ánh/);
    expect(records.find((r) => r.errorCode === 'CERTIFICATE_EXPIRED')?.result).toBe('failed');
    expect(records.find((r) => r.method === 'sign.hashes')?.documents).toHaveLength(3);
    const text = readFileSync(agent.journalFile, 'utf8');
    for (const t of agent.pki.tokens) expect(text).not.toContain(`"${t.pin}"`);
  });
});
