/**
 * Certificate chains from the token and the configured trust anchors, on the SoftHSM2 TEST
 * tokens: what the token holds, what a signature carries, and what verification trusts.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import { loadTestPki, type TestPki } from './pki.ts';

let pki: TestPki;
let service: TokenService;

beforeAll(async () => {
  pki = loadTestPki();
  service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
});

afterAll(async () => {
  await service.close();
});

describe('test PKI tokens', () => {
  it('hold the issuing CA certificate without a private key, as real tokens do', async () => {
    const issuing = new X509Certificate(readFileSync(pki.issuingCaPem));
    const leader = await service.getCertificate(pki.token('leader').certificateId);
    const all = await service.listCertificates({ tokenId: leader.tokenId, withPrivateKey: false });
    expect(all).toHaveLength(2);
    const ca = all.find((c) => c.isCA);
    expect(ca).toMatchObject({
      hasPrivateKey: false,
      label: 'TEST CA phục vụ các cơ quan Nhà nước G2',
    });
    expect(Buffer.from(ca?.certificate ?? '', 'base64').equals(issuing.raw)).toBe(true);
    expect(ca?.keyId).not.toBe(leader.keyId);
    // Signing certificates only, by default: one per token.
    expect((await service.listCertificates()).every((c) => !c.isCA && c.hasPrivateKey)).toBe(true);
    for (const token of await service.listTokens()) {
      const onToken = await service.listCertificates({ tokenId: token.id, withPrivateKey: false });
      expect(onToken.filter((c) => c.isCA).map((c) => c.id)).toEqual([ca?.id]);
    }
  });
});
