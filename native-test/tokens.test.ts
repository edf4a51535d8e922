/** Token service against the real SoftHSM2 TEST tokens: listing, signing, errors. */
import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isKysoError, type ErrorCode } from '../agent/errors/index.ts';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import { TokenHost } from '../agent/tokens/host-process.ts';
import type { HashAlgorithm } from '../agent/tokens/types.ts';
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

async function failureCode(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a failure');
}

const nodeHash: Record<HashAlgorithm, string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

describe('listing', () => {
  it('answers a burst of first requests with one certificate listing per token', async () => {
    // A page sending hundreds of requests right after start: each would otherwise queue its
    // own listing on the token host, and the last ones time out behind the others.
    const fresh = await startTokenService({
      modules: [pki.modulePath],
      env: { SOFTHSM2_CONF: pki.softhsm2Conf },
      pollIntervalMs: 0,
    });
    const calls = vi.spyOn(TokenHost.prototype, 'call');
    try {
      const wanted = pki.tokens.map((t) => t.certificateId);
      const found = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          fresh.getCertificate(wanted[i % wanted.length] ?? ''),
        ),
      );
      expect(found.map((c) => c.id)).toEqual(
        Array.from({ length: 300 }, (_, i) => wanted[i % wanted.length]),
      );
      const listings = calls.mock.calls.filter(([method]) => method === 'listCertificates');
      expect(listings.length).toBe((await fresh.listTokens()).length);
    } finally {
      calls.mockRestore();
      await fresh.close();
    }
  });

  it('loads SoftHSM2 and lists the six test tokens with their PIN state', async () => {
    expect(service.modules()).toEqual([
      expect.objectContaining({ path: pki.modulePath, state: 'loaded', manufacturer: 'SoftHSM' }),
    ]);
    const tokens = await service.listTokens();
    expect(tokens.map((t) => t.label).sort()).toEqual(pki.tokens.map((t) => t.label).sort());
    for (const token of tokens) {
      expect(token).toMatchObject({
        present: true,
        loginRequired: true,
        protectedAuthenticationPath: false,
        manufacturer: 'SoftHSM project',
        model: 'SoftHSM v2',
        pin: { locked: false, finalTry: false, initialized: true },
      });
      expect(token.serialNumber).toMatch(/^[0-9a-f]{16}$/);
      expect(token.id).toBe(`libsofthsm2:${token.serialNumber}`);
    }
    expect(tokens.find((t) => t.label.startsWith('SIM PKI'))).toBeDefined();
  });

  it('lists every certificate with parsed fields, diacritics intact', async () => {
    const certificates = await service.listCertificates();
    expect(certificates).toHaveLength(pki.tokens.length);
    for (const testToken of pki.tokens) {
      const certificate = certificates.find((c) => c.id === testToken.certificateId);
      expect(certificate, testToken.role).toBeDefined();
      if (!certificate) continue;
      const x509 = new X509Certificate(testToken.certificatePem);
      expect(certificate.hasPrivateKey).toBe(true);
      expect(certificate.keyAlgorithm).toBe(testToken.keyAlgorithm);
      expect(certificate.keySize).toBe(testToken.keyAlgorithm === 'RSA' ? 2048 : 256);
      expect(certificate.serialNumber).toBe(x509.serialNumber.replace(/^0+/, '').toUpperCase());
      expect(certificate.notAfter).toBe(new Date(x509.validTo).toISOString());
      expect(certificate.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
      expect(certificate.extendedKeyUsage).toEqual(['emailProtection', 'clientAuth']);
      expect(certificate.isCA).toBe(false);
      expect(certificate.issuer.text).toContain('CN=TEST CA phục vụ các cơ quan Nhà nước G2');
      expect(Buffer.from(certificate.certificate, 'base64').equals(x509.raw)).toBe(true);
      expect(new Date(certificate.notAfter) < new Date()).toBe(testToken.expired);
    }
    const leader = certificates.find((c) => c.id === pki.token('leader').certificateId);
    expect(leader?.commonName).toBe('Nguyễn Văn Ánh');
    expect(leader?.subject.attributes).toEqual(
      expect.arrayContaining([
        { type: 'CN', oid: '2.5.4.3', value: 'Nguyễn Văn Ánh' },
        { type: 'UID', oid: '0.9.2342.19200300.100.1.1', value: 'CCCD:001085012345' },
        { type: 'T', oid: '2.5.4.12', value: 'Giám đốc' },
      ]),
    );
    expect(leader?.subject.text).toMatch(/^UID=CCCD:001085012345, CN=Nguyễn Văn Ánh, T=Giám đốc/);
    const seal = certificates.find((c) => c.id === pki.token('seal').certificateId);
    expect(seal?.subject.attributes).toContainEqual({
      type: 'O',
      oid: '2.5.4.10',
      value: 'Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)',
    });
    const ecdsa = certificates.find((c) => c.id === pki.token('ecdsa').certificateId);
    expect(ecdsa?.namedCurve).toBe('P-256');
  });

  it('filters certificates by token and finds one by id', async () => {
    const leader = await service.getCertificate(pki.token('leader').certificateId);
    const onToken = await service.listCertificates({ tokenId: leader.tokenId });
    expect(onToken.map((c) => c.id)).toEqual([leader.id]);
    expect(await failureCode(service.getCertificate('00'.repeat(32)))).toBe(
      'CERTIFICATE_NOT_FOUND',
    );
    expect(await failureCode(service.getToken('libsofthsm2:nope'))).toBe('TOKEN_NOT_PRESENT');
  });
});

describe('signing', () => {
  const message = Buffer.from('Quyết định số 123/QĐ-UBND');

  it('signs with every key; node:crypto verifies each signature against its certificate', async () => {
    for (const token of pki.tokens) {
      const publicKey = new X509Certificate(token.certificatePem).publicKey;
      const hashes: HashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];
      for (const hashAlgorithm of hashes) {
        const digest = createHash(nodeHash[hashAlgorithm]).update(message).digest();
        const result = await service.sign(
          { certificateId: token.certificateId, hashAlgorithm, digest },
          { pin: token.pin },
        );
        expect(result.scheme).toBe(token.keyAlgorithm === 'EC' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5');
        expect(
          verify(nodeHash[hashAlgorithm], message, publicKey, result.signature),
          `${token.role} ${hashAlgorithm}`,
        ).toBe(true);
      }
    }
  });

  it('signs RSA-PSS with salt length equal to the hash length', async () => {
    const token = pki.token('clerk');
    const digest = createHash('sha384').update(message).digest();
    const result = await service.sign(
      { certificateId: token.certificateId, hashAlgorithm: 'SHA-384', digest, scheme: 'RSA-PSS' },
      { pin: token.pin },
    );
    const key = new X509Certificate(token.certificatePem).publicKey;
    const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
    expect(verify('sha384', message, pss, result.signature)).toBe(true);
  });

  it('does a context-specific login for the SIM PKI key that always needs its PIN', async () => {
    const token = pki.token('sim');
    expect(token.alwaysAuthenticate).toBe(true);
    const digest = createHash('sha256').update(message).digest();
    const results = await service.signMany(
      token.certificateId,
      [1, 2, 3].map(() => ({ hashAlgorithm: 'SHA-256' as const, digest })),
      { pin: token.pin },
    );
    const key = new X509Certificate(token.certificatePem).publicKey;
    for (const r of results) expect(verify('sha256', message, key, r.signature)).toBe(true);
  });

  it('a key that needs the PIN each time asks for it even while logged in, and stays usable', async () => {
    const token = pki.token('sim');
    const digest = createHash('sha256').update(message).digest();
    const request = {
      certificateId: token.certificateId,
      hashAlgorithm: 'SHA-256' as const,
      digest,
    };
    await service.sign(request, { pin: token.pin, stayLoggedIn: true });
    // Private keys are hidden until login; the service learns the flag at the first signature.
    expect((await service.getCertificate(token.certificateId)).alwaysAuthenticate).toBe(true);
    expect(await failureCode(service.sign(request, { stayLoggedIn: true }))).toBe('PIN_REQUIRED');
    const again = await service.sign(request, { pin: token.pin });
    const key = new X509Certificate(token.certificatePem).publicKey;
    expect(verify('sha256', message, key, again.signature)).toBe(true);
  });

  it('200 concurrent requests across two tokens all succeed and verify', async () => {
    const tokens = [pki.token('leader'), pki.token('ecdsa')];
    const requests = Array.from({ length: 200 }, (_, i) => {
      const token = tokens[i % 2];
      if (!token) throw new Error('unreachable');
      const data = Buffer.from(`document ${i}`);
      const digest = createHash('sha256').update(data).digest();
      return service
        .sign(
          { certificateId: token.certificateId, hashAlgorithm: 'SHA-256', digest },
          { pin: token.pin },
        )
        .then((r) =>
          verify('sha256', data, new X509Certificate(token.certificatePem).publicKey, r.signature),
        );
    });
    const verified = await Promise.all(requests);
    expect(verified.filter(Boolean)).toHaveLength(200);
  });

  it('signatures on a logged-in token run side by side and all verify; logout still ends them', async () => {
    const token = pki.token('leader');
    const certificate = await service.getCertificate(token.certificateId);
    const key = new X509Certificate(token.certificatePem).publicKey;
    await service.sign(
      { certificateId: token.certificateId, hashAlgorithm: 'SHA-256', digest: Buffer.alloc(32) },
      { pin: token.pin, stayLoggedIn: true },
    );
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const data = Buffer.from(`văn bản ${i}`);
        const digest = createHash('sha256').update(data).digest();
        const r = await service.sign(
          { certificateId: token.certificateId, hashAlgorithm: 'SHA-256', digest },
          { stayLoggedIn: true },
        );
        return verify('sha256', data, key, r.signature);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    await service.logout(certificate.tokenId);
    const digest = createHash('sha256').update('x').digest();
    expect(
      await failureCode(
        service.sign({ certificateId: token.certificateId, hashAlgorithm: 'SHA-256', digest }, {}),
      ),
    ).toBe('PIN_REQUIRED');
  });

  it('keeps the token logged in only when asked (PIN cache), and logs out on demand', async () => {
    const token = pki.token('clerk');
    const certificate = await service.getCertificate(token.certificateId);
    const digest = createHash('sha256').update(message).digest();
    const request = {
      certificateId: token.certificateId,
      hashAlgorithm: 'SHA-256' as const,
      digest,
    };
    await service.sign(request, { pin: token.pin });
    expect(await service.isLoggedIn(certificate.tokenId)).toBe(false);
    expect(await failureCode(service.sign(request, {}))).toBe('PIN_REQUIRED');
    await service.sign(request, { pin: token.pin, stayLoggedIn: true });
    expect(await service.isLoggedIn(certificate.tokenId)).toBe(true);
    await service.sign(request, { stayLoggedIn: true });
    await service.logout(certificate.tokenId);
    expect(await service.isLoggedIn(certificate.tokenId)).toBe(false);
    expect(await failureCode(service.sign(request, {}))).toBe('PIN_REQUIRED');
  });
});

describe('errors', () => {
  const digest = createHash('sha256').update('x').digest();

  it('a wrong PIN gives PIN_INCORRECT with the token’s tries-left flags, then the right PIN works', async () => {
    const token = pki.token('seal');
    const request = {
      certificateId: token.certificateId,
      hashAlgorithm: 'SHA-256' as const,
      digest,
    };
    let error: unknown;
    try {
      await service.sign(request, { pin: '000000' });
    } catch (e) {
      error = e;
    }
    expect(isKysoError(error, 'PIN_INCORRECT')).toBe(true);
    if (isKysoError(error)) {
      expect(error.details).toMatchObject({ ckr: 'CKR_PIN_INCORRECT', locked: false });
      expect(error.userMessage.vi).toMatch(/Mã PIN không đúng/);
    }
    const ok = await service.sign(request, { pin: token.pin });
    expect(ok.signature.length).toBe(256);
  });

  it('rejects a digest of the wrong length, a scheme the key cannot do, and a missing certificate', async () => {
    const rsa = pki.token('leader');
    const ec = pki.token('ecdsa');
    expect(
      await failureCode(
        service.sign(
          { certificateId: rsa.certificateId, hashAlgorithm: 'SHA-384', digest },
          { pin: rsa.pin },
        ),
      ),
    ).toBe('HASH_LENGTH_MISMATCH');
    expect(
      await failureCode(
        service.sign(
          { certificateId: ec.certificateId, hashAlgorithm: 'SHA-256', digest, scheme: 'RSA-PSS' },
          { pin: ec.pin },
        ),
      ),
    ).toBe('MECHANISM_UNSUPPORTED');
    expect(
      await failureCode(
        service.sign(
          { certificateId: 'ab'.repeat(32), hashAlgorithm: 'SHA-256', digest },
          { pin: rsa.pin },
        ),
      ),
    ).toBe('CERTIFICATE_NOT_FOUND');
  });

  it('a module path that does not load is reported, and the other modules keep working', async () => {
    const mixed = await startTokenService({
      modules: ['/nonexistent/libvendor-pkcs11.so', pki.modulePath],
      env: { SOFTHSM2_CONF: pki.softhsm2Conf },
      pollIntervalMs: 0,
    });
    try {
      const [missing, softhsm] = mixed.modules();
      expect(missing).toMatchObject({ state: 'failed', error: { code: 'MODULE_LOAD_FAILED' } });
      expect(softhsm?.state).toBe('loaded');
      expect(await mixed.listTokens()).toHaveLength(pki.tokens.length);
    } finally {
      await mixed.close();
    }
  });
});
