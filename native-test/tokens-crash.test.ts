/**
 * Isolation of a misbehaving PKCS#11 module: a small C module (fixtures/crashing-pkcs11.c),
 * built here, aborts, segfaults or hangs on demand while SoftHSM2 tokens of the same token
 * service keep signing. The broken module is reported MODULE_CRASHED / MODULE_TIMEOUT (in
 * modules() and by module.status events) and its host is restarted; this process lives on.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenService } from '../agent/tokens/index.ts';
import type { ModuleStatus, TokenEvent, TokenService } from '../agent/tokens/index.ts';
import { buildCrashingModule, type CrashMode } from './crashing-module.ts';
import { copyTestPki, type TestPki, type TestToken } from './pki.ts';

const CALL_TIMEOUT_MS = 3000;

let dir: string;
let crashingModule: string;
let trigger: string;
/** Certificate the broken module's token holds (self-signed, throwaway). */
let crashCertificateId: string;
let pki: TestPki;
let service: TokenService;
const statusEvents: Array<{ module: ModuleStatus; snapshot: ModuleStatus | undefined }> = [];

type Mode = CrashMode;
const setTrigger = (mode: Mode) => writeFileSync(trigger, mode);
const crashingStatus = () => service.modules().find((m) => m.path === crashingModule);

beforeAll(async () => {
  const crashing = buildCrashingModule();
  dir = crashing.dir;
  crashingModule = crashing.modulePath;
  trigger = crashing.trigger;
  crashCertificateId = crashing.certificateId;
  // A private copy: hundreds of logins here must not race other test files reading the store.
  pki = copyTestPki();
  service = await startTokenService({
    modules: [pki.modulePath, crashingModule],
    env: {
      SOFTHSM2_CONF: pki.softhsm2Conf,
      ...crashing.env,
    },
    pollIntervalMs: 100,
    // Generous enough that SoftHSM2's own calls never reach it on a busy 2-core machine; the
    // hung module still times out well within the tests' bounds.
    callTimeoutMs: CALL_TIMEOUT_MS,
  });
  service.onEvent((event: TokenEvent) => {
    if (event.type === 'module.status' && event.module.path === crashingModule) {
      // What a caller polling modules() sees at that moment.
      statusEvents.push({ module: event.module, snapshot: crashingStatus() });
    }
  });
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const data = Buffer.from('Quyết định số 99/QĐ-UBND: ký trong khi module khác gặp sự cố');
const digest = createHash('sha256').update(data).digest();

/**
 * Keeps `workers` signatures in flight on SoftHSM2 tokens until `done()` resolves and at
 * least `minimum` signatures are made; every signature is checked against its certificate.
 */
async function signThroughout(done: Promise<unknown>, minimum = 50, workers = 8) {
  const signers: TestToken[] = [pki.token('clerk'), pki.token('ecdsa'), pki.token('seal')];
  let finished = false;
  const stop = () => {
    finished = true;
  };
  done.then(stop, stop);
  let count = 0;
  const worker = async (index: number) => {
    for (let i = 0; !finished || count < minimum; i++) {
      const token = signers[(index + i) % signers.length] as TestToken;
      const result = await service.sign(
        { certificateId: token.certificateId, hashAlgorithm: 'SHA-256', digest },
        { pin: token.pin },
      );
      const publicKey = new X509Certificate(token.certificatePem).publicKey;
      expect(verify('sha256', data, publicKey, result.signature), token.role).toBe(true);
      count++;
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)));
  await done;
  return count;
}

describe('a PKCS#11 module that crashes next to SoftHSM2', () => {
  it('loads both modules and lists the broken module token', async () => {
    expect(service.modules()).toEqual([
      expect.objectContaining({ path: pki.modulePath, state: 'loaded' }),
      expect.objectContaining({
        path: crashingModule,
        state: 'loaded',
        description: 'Kyso crashing test module',
      }),
    ]);
    const labels = (await service.listTokens()).map((t) => t.label);
    expect(labels).toContain('KYSO CRASH TEST');
    expect(labels).toContain(pki.token('clerk').label);
  });

  for (const [mode, signal] of [
    ['abort', 'SIGABRT'],
    ['segv', 'SIGSEGV'],
  ] as const) {
    it(`${mode}(): MODULE_CRASHED, restart, and SoftHSM2 signs throughout`, async () => {
      const since = statusEvents.length;
      const recovered = (async () => {
        setTrigger(mode);
        const crashed = await waitFor(
          'MODULE_CRASHED',
          () => statusEvents.slice(since).find((e) => e.module.error?.code === 'MODULE_CRASHED'),
          CALL_TIMEOUT_MS + 5000,
        );
        setTrigger('ok');
        await waitFor(
          'the restarted host',
          () => {
            const status = crashingStatus();
            return status?.state === 'loaded' ? status : undefined;
          },
          CALL_TIMEOUT_MS + 5000,
        );
        return crashed;
      })();
      const signatures = await signThroughout(recovered);
      const crashed = await recovered;
      expect(crashed.module).toMatchObject({
        state: 'restarting',
        error: { code: 'MODULE_CRASHED', detail: signal },
      });
      expect(crashed.snapshot?.error?.code).toBe('MODULE_CRASHED');
      expect(signatures).toBeGreaterThanOrEqual(50);
      // Back to normal: the module's token is listed again, SoftHSM2 never left.
      const tokens = await service.listTokens();
      expect(tokens.map((t) => t.label)).toContain('KYSO CRASH TEST');
      expect(tokens.filter((t) => t.moduleId === pki.modulePath)).toHaveLength(pki.tokens.length);
    });
  }

  it('hang: MODULE_TIMEOUT after callTimeoutMs, host killed and restarted, no caller hangs', async () => {
    const since = statusEvents.length;
    const recovered = (async () => {
      setTrigger('hang');
      // A scan during the hang returns (without the hung module's token) instead of hanging.
      const started = Date.now();
      const during = await service.rescan();
      expect(Date.now() - started).toBeLessThan(CALL_TIMEOUT_MS + 2500);
      const timedOut = await waitFor(
        'MODULE_TIMEOUT',
        () => statusEvents.slice(since).find((e) => e.module.error?.code === 'MODULE_TIMEOUT'),
        CALL_TIMEOUT_MS + 5000,
      );
      setTrigger('ok');
      await waitFor(
        'the restarted host',
        () => {
          const status = crashingStatus();
          return status?.state === 'loaded' ? status : undefined;
        },
        CALL_TIMEOUT_MS + 5000,
      );
      return { timedOut, during };
    })();
    const signatures = await signThroughout(recovered);
    const { timedOut, during } = await recovered;
    expect(during.map((t) => t.label)).not.toContain('KYSO CRASH TEST');
    expect(during.filter((t) => t.moduleId === pki.modulePath)).toHaveLength(pki.tokens.length);
    expect(timedOut.module).toMatchObject({
      state: 'restarting',
      error: { code: 'MODULE_TIMEOUT', detail: 'SIGKILL' },
    });
    expect(signatures).toBeGreaterThanOrEqual(50);
    expect((await service.listTokens()).map((t) => t.label)).toContain('KYSO CRASH TEST');
  });
});

describe('a signature on the broken module itself', () => {
  const signOnBrokenModule = () =>
    service.sign(
      { certificateId: crashCertificateId, hashAlgorithm: 'SHA-256', digest },
      { pin: '1234' },
    );

  /** Restarted and its token (with the certificate) listed again. */
  async function backToNormal() {
    setTrigger('ok');
    await waitFor(
      'the restarted host',
      () => {
        const status = crashingStatus();
        return status?.state === 'loaded' ? status : undefined;
      },
      CALL_TIMEOUT_MS + 5000,
    );
    const started = Date.now();
    while (!(await service.listTokens()).some((t) => t.label === 'KYSO CRASH TEST')) {
      if (Date.now() - started > 5000) throw new Error('the broken module token did not return');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('signs while the module behaves (its fake signature is 256 bytes of 0x5A)', async () => {
    const certificate = await service.getCertificate(crashCertificateId);
    expect(certificate).toMatchObject({ hasPrivateKey: true, keyAlgorithm: 'RSA' });
    const result = await signOnBrokenModule();
    expect(result.signature.equals(Buffer.alloc(256, 0x5a))).toBe(true);
  });

  for (const [mode, signal] of [
    ['sign-abort', 'SIGABRT'],
    ['sign-segv', 'SIGSEGV'],
  ] as const) {
    it(`${mode}: the caller gets MODULE_CRASHED, then the module signs again`, async () => {
      setTrigger(mode);
      await expect(signOnBrokenModule()).rejects.toMatchObject({
        code: 'MODULE_CRASHED',
        details: { signal },
      });
      await backToNormal();
      expect((await signOnBrokenModule()).signature).toHaveLength(256);
    });
  }

  it('sign-hang: the caller gets MODULE_TIMEOUT within callTimeoutMs, then it signs again', async () => {
    setTrigger('sign-hang');
    const started = Date.now();
    // SoftHSM2 signatures and slot polling go on meanwhile; the hung call must still time out.
    const others = signThroughout(
      signOnBrokenModule().catch((error: unknown) => error),
      10,
      2,
    );
    const [failure] = await Promise.all([signOnBrokenModule().catch((e: unknown) => e), others]);
    expect(failure).toMatchObject({ code: 'MODULE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(CALL_TIMEOUT_MS * 3);
    await backToNormal();
    expect((await signOnBrokenModule()).signature).toHaveLength(256);
  });
});
