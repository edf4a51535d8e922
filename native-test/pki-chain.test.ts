/**
 * Certificate chains from the token and the configured trust anchors, on the SoftHSM2 TEST
 * tokens: what the token holds, what a signature carries, and what verification trusts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignedData, tokenSigner } from '../agent/cms/index.ts';
import { signPdf } from '../agent/pdf/index.ts';
import { runDoctor } from '../agent/doctor/index.ts';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import { extractSignatures, opensslVerifyAll } from './pdf-judges.ts';
import { copyTestPki, loadTestPki, type TestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

let pki: TestPki;
let service: TokenService;
const dir = mkdtempSync(join(tmpdir(), 'kyso-pki-chain-'));
const input = join(
  import.meta.dirname,
  'fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);

/** A config directory whose config.json holds `config`, with the TEST root copied in as root.pem. */
function configDir(config: unknown): string {
  const folder = mkdtempSync(join(dir, 'config-'));
  copyFileSync(pki.rootCaPem, join(folder, 'root.pem'));
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
  return folder;
}

/** Certificates in the CMS of each signature of a signed PDF, and what openssl prints of them. */
function cmsCertificates(file: string): { certificates: Buffer[]; printed: string }[] {
  return extractSignatures(file).map((s) => ({
    certificates: parseSignedData(s.cms).certificates,
    printed: execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], {
      input: s.cms,
      encoding: 'latin1',
    }),
  }));
}

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
  rmSync(dir, { recursive: true, force: true });
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

describe('kyso sign and kyso verify with the chain and trust from configuration', () => {
  const cliPki = copyTestPki();
  afterAll(() => rmSync(cliPki.dir, { recursive: true, force: true }));

  function kyso(args: string[], config: string, stdin = '') {
    const result = spawnSync('node', ['bin/kyso.js', ...args], {
      input: stdin,
      encoding: 'utf8',
      env: { ...process.env, SOFTHSM2_CONF: cliPki.softhsm2Conf, KYSO_CONFIG_DIR: config },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }
  const sign = (out: string, config: string, extra: string[] = []) =>
    kyso(
      [
        'sign',
        input,
        '--cert',
        cliPki.token('leader').certificateId,
        '--out',
        out,
        '--pin-stdin',
        '--module',
        cliPki.modulePath,
        '--json',
        ...extra,
      ],
      config,
      `${cliPki.token('leader').pin}\n`,
    );
  const signed = join(dir, 'no-explicit-chain.pdf');
  const issuing = () => new X509Certificate(readFileSync(cliPki.issuingCaPem)).raw;
  const root = () => new X509Certificate(readFileSync(cliPki.rootCaPem)).raw;
  const leader = () => new X509Certificate(cliPki.token('leader').certificatePem).raw;

  it('embeds signer + issuing CA from the token without --chain; openssl accepts the root alone', async () => {
    const { code, stdout, stderr } = sign(signed, configDir({}));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
    const [cms] = cmsCertificates(signed);
    expect(cms?.certificates).toHaveLength(2);
    expect(cms?.certificates.some((c) => c.equals(leader()))).toBe(true);
    expect(cms?.certificates.some((c) => c.equals(issuing()))).toBe(true);
    expect(cms?.printed.match(/cert_info:/g)).toHaveLength(2);
    expect(await opensslVerifyAll(signed, cliPki.rootCaPem)).toEqual([true]);
  });

  it('an explicit --chain adds to the chain found on the token', () => {
    const out = join(dir, 'explicit-root.pdf');
    expect(sign(out, configDir({}), ['--chain', cliPki.rootCaPem]).code).toBe(0);
    const certificates = cmsCertificates(out)[0]?.certificates ?? [];
    expect(certificates).toHaveLength(3);
    expect(certificates.some((c) => c.equals(root()))).toBe(true);
    expect(certificates.some((c) => c.equals(issuing()))).toBe(true);
  });

  it('kyso verify trusts the chain through the configured root without --trust', () => {
    const trusted = kyso(
      ['verify', signed, '--json'],
      configDir({ trust: { anchors: ['root.pem'] } }),
    );
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    const report = JSON.parse(trusted.stdout) as {
      valid: boolean;
      signatures: { chain: { trusted: boolean; path: string[] } }[];
    };
    expect(report.valid).toBe(true);
    expect(report.signatures[0]?.chain.trusted).toBe(true);
    expect(report.signatures[0]?.chain.path).toHaveLength(3);
    const text = kyso(['verify', signed], configDir({ trust: { anchors: ['root.pem'] } }));
    expect(text.stdout).toContain('Chuỗi tin cậy / Trusted chain: có / yes');

    // No anchors configured: the chain is not trusted and the exit code says so.
    const none = kyso(['verify', signed, '--json'], configDir({}));
    expect(none.code).toBe(1);
    expect(
      (JSON.parse(none.stdout) as { signatures: { chain: { reason: string } }[] }).signatures[0]
        ?.chain.reason,
    ).toBe('no-trust-anchors');
    // --trust replaces the configuration (here a broken one is not even read).
    const explicit = kyso(
      ['verify', signed, '--trust', cliPki.rootCaPem, '--json'],
      configDir({ trust: { anchors: ['missing.pem'] } }),
    );
    expect(explicit.code).toBe(0);
  });

  it('a configured intermediate completes a chain the signature does not carry', async () => {
    // A signature carrying only the signer's certificate, as older software writes them.
    const bare = join(dir, 'bare.pdf');
    const signer = await tokenSigner({
      service,
      certificateId: pki.token('seal').certificateId,
      credentials: { pin: pki.token('seal').pin },
      chain: [],
    });
    await signPdf(input, { signer, output: bare, preset: 'plain', hash: 'SHA-256' });
    expect(cmsCertificates(bare)[0]?.certificates).toHaveLength(1);
    const rootOnly = configDir({ trust: { anchors: ['root.pem'] } });
    const notTrusted = kyso(['verify', bare, '--json'], rootOnly);
    expect(notTrusted.code).toBe(1);
    expect(
      (JSON.parse(notTrusted.stdout) as { signatures: { chain: { reason: string } }[] })
        .signatures[0]?.chain.reason,
    ).toBe('issuer-not-found');
    const withIntermediate = configDir({
      trust: { anchors: ['root.pem'], intermediates: [cliPki.issuingCaPem] },
    });
    expect(kyso(['verify', bare, '--json'], withIntermediate).code).toBe(0);
  });

  it('an explicit --chain that repeats the token CA adds nothing twice', () => {
    const out = join(dir, 'anchor-issuing.pdf');
    const config = configDir({ trust: { anchors: [cliPki.issuingCaPem] } });
    expect(sign(out, config, ['--chain', cliPki.trustChainPem]).code).toBe(0);
    // --chain named issuing + root: both kept (explicit); the token's copy is not added again.
    expect(cmsCertificates(out)[0]?.certificates).toHaveLength(3);
    expect(kyso(['verify', out, '--json'], config).code).toBe(0);
  });

  it('a config naming a missing PEM fails with CONFIG_INVALID, the field and the path', () => {
    const config = configDir({ trust: { anchors: ['root.pem'], intermediates: ['gone.pem'] } });
    for (const result of [
      kyso(['verify', signed, '--json'], config),
      sign(join(dir, 'never.pdf'), config),
    ]) {
      expect(result.code).not.toBe(0);
      const error = (
        JSON.parse(result.stdout) as {
          error: { code: string; details: { field: string; path: string } };
        }
      ).error;
      expect(error).toMatchObject({
        code: 'CONFIG_INVALID',
        details: { field: 'trust.intermediates[0]', path: join(config, 'gone.pem') },
      });
    }
  });
});

describe('sign.pdf, sign.pdfs and verify.pdf with the chain and trust from configuration', () => {
  let agent: TestAgent;
  let client: TestClient;
  beforeAll(async () => {
    agent = await startTestAgent({ pki, config: { trust: { anchors: [pki.rootCaPem] } } });
    client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
  });
  afterAll(async () => {
    client.socket.close();
    await agent.close();
  });

  it('embeds the issuing CA without `chain`, and verify.pdf trusts it without trustAnchors', async () => {
    const pdf = readFileSync(input).toString('base64');
    const reply = await client.call('sign.pdf', {
      certificateId: pki.token('clerk').certificateId,
      pdf,
    });
    expect(reply.error).toBeUndefined();
    const file = join(dir, 'server.pdf');
    writeFileSync(file, Buffer.from((reply.result as { pdf: string }).pdf, 'base64'));
    const certificates = cmsCertificates(file)[0]?.certificates ?? [];
    expect(certificates).toHaveLength(2);
    expect(
      certificates.some((c) => c.equals(new X509Certificate(readFileSync(pki.issuingCaPem)).raw)),
    ).toBe(true);
    expect(await opensslVerifyAll(file, pki.rootCaPem)).toEqual([true]);

    const verified = await client.call('verify.pdf', {
      pdf: (reply.result as { pdf: string }).pdf,
    });
    expect(verified.result).toMatchObject({
      valid: true,
      signatures: [{ chain: { trusted: true }, valid: true }],
    });
    // An explicit empty list means "trust nothing": the configuration is not used.
    const untrusted = await client.call('verify.pdf', {
      pdf: (reply.result as { pdf: string }).pdf,
      trustAnchors: [],
    });
    expect(untrusted.result).toMatchObject({
      valid: false,
      signatures: [{ chain: { trusted: false, reason: 'no-trust-anchors' } }],
    });
  });

  it('sign.pdfs embeds it too', async () => {
    const reply = await client.call('sign.pdfs', {
      certificateId: pki.token('clerk').certificateId,
      items: [{ name: 'a.pdf', pdf: readFileSync(input).toString('base64') }],
    });
    expect(reply.error).toBeUndefined();
    const item = (reply.result as { items: { ok: boolean; pdf: string }[] }).items[0];
    const file = join(dir, 'batch.pdf');
    writeFileSync(file, Buffer.from(item?.pdf ?? '', 'base64'));
    expect(cmsCertificates(file)[0]?.certificates).toHaveLength(2);
    expect(await opensslVerifyAll(file, pki.rootCaPem)).toEqual([true]);
  });
});

describe('kyso doctor with the configured trust anchors', () => {
  it('chains every token certificate to the configured root without --trust', async () => {
    const report = await runDoctor({
      configDir: configDir({ modules: [pki.modulePath], trust: { anchors: ['root.pem'] } }),
      now: new Date(),
      usb: null,
      openTokens: (modules) =>
        startTokenService({ modules, env: { SOFTHSM2_CONF: pki.softhsm2Conf }, pollIntervalMs: 0 }),
      portState: () => Promise.resolve({ state: 'free' }),
    });
    // The issuing CA comes from the tokens: the configuration names only the root.
    expect(report.findings.filter((f) => f.id === 'certificate.chain-ok')).toHaveLength(
      pki.tokens.length,
    );
    // CA certificates on the tokens are not reported as the user's certificates.
    expect(report.findings.filter((f) => f.id === 'certificate.key-usage')).toEqual([]);
  });

  it('reports a missing configured PEM as an invalid config naming the field and path', async () => {
    const folder = configDir({ modules: [], trust: { anchors: ['nowhere.pem'] } });
    const report = await runDoctor({
      configDir: folder,
      now: new Date(),
      usb: null,
      portState: () => Promise.resolve({ state: 'free' }),
    });
    const finding = report.findings.find((f) => f.id === 'agent.config-invalid');
    expect(finding?.message.en).toContain('trust.anchors[0]');
    expect(finding?.message.en).toContain(join(folder, 'nowhere.pem'));
  });
});
