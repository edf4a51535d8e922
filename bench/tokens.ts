/**
 * Token service vs pkcs11js called directly in-process (what a developer would write
 * without process isolation): sign latency and throughput, RSA-2048 and P-256 on SoftHSM2.
 * Run: node --import tsx bench/tokens.ts
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { startTokenService } from '../agent/tokens/index.ts';
import { digestInfo } from '../agent/tokens/mechanisms.ts';
import { loadTestPki, type TestToken } from '../native-test/pki.ts';
import { measure, ms, printTable, ratio, type RunFigures } from './stats.ts';

const TOTAL = Number(process.env.KYSO_BENCH_SIGNATURES ?? 2000);
const pki = loadTestPki();
process.env.SOFTHSM2_CONF = pki.softhsm2Conf;
const digest = createHash('sha256').update('bench').digest();

/** Direct: one in-process pkcs11js, one logged-in session per worker, async C_Sign. */
async function direct(token: TestToken, inFlight: number): Promise<RunFigures> {
  const p11 = new pkcs11js.PKCS11();
  p11.load(pki.modulePath);
  p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  try {
    const slot = p11
      .C_GetSlotList(true)
      .find((s) => p11.C_GetTokenInfo(s).label.trim() === token.label);
    if (!slot) throw new Error(`token ${token.label} not found`);
    const sessions = Array.from({ length: inFlight }, () =>
      p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
    );
    const first = sessions[0];
    if (!first) throw new Error('no session');
    p11.C_Login(first, pkcs11js.CKU_USER, token.pin);
    p11.C_FindObjectsInit(first, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
    const [key] = p11.C_FindObjects(first, 1);
    p11.C_FindObjectsFinal(first);
    if (!key) throw new Error('no key');
    const ec = token.keyAlgorithm === 'EC';
    const data = ec ? digest : digestInfo('SHA-256', digest);
    const mechanism = { mechanism: ec ? pkcs11js.CKM_ECDSA : pkcs11js.CKM_RSA_PKCS };
    return await measure(TOTAL, inFlight, (_, worker) => {
      const session = sessions[worker];
      if (!session) throw new Error('no session');
      return new Promise((resolve, reject) => {
        p11.C_SignInit(session, mechanism, key);
        p11.C_Sign(session, data, Buffer.alloc(512), (error, signature) =>
          error ? reject(error) : resolve(signature),
        );
      });
    });
  } finally {
    p11.C_Finalize();
    p11.close();
  }
}

async function main(): Promise<void> {
  const service = await startTokenService({ modules: [pki.modulePath], pollIntervalMs: 0 });
  const rows: string[][] = [];
  try {
    for (const role of ['leader', 'ecdsa'] as const) {
      const token = pki.token(role);
      const request = {
        certificateId: token.certificateId,
        hashAlgorithm: 'SHA-256' as const,
        digest,
      };
      // Log in once, as with the PIN cache on; the login-per-signature row is below.
      await service.sign(request, { pin: token.pin, stayLoggedIn: true });
      for (const inFlight of [1, 8]) {
        const base = await direct(token, inFlight);
        const ours = await measure(TOTAL, inFlight, () =>
          service.sign(request, { stayLoggedIn: true }),
        );
        const algorithm = role === 'leader' ? 'RSA-2048' : 'P-256';
        rows.push([
          algorithm,
          String(inFlight),
          `${ms(base.p50)} / ${ms(base.p95)}`,
          `${ms(ours.p50)} / ${ms(ours.p95)}`,
          ratio(ours.p50 / base.p50),
          base.perSecond.toFixed(0),
          ours.perSecond.toFixed(0),
          ratio(ours.perSecond / base.perSecond),
        ]);
      }
      const perLogin = await measure(Math.min(TOTAL, 500), 1, () =>
        service.sign(request, { pin: token.pin }),
      );
      rows.push([
        `${role === 'leader' ? 'RSA-2048' : 'P-256'} login+sign+logout`,
        '1',
        '-',
        `${ms(perLogin.p50)} / ${ms(perLogin.p95)}`,
        '-',
        '-',
        perLogin.perSecond.toFixed(0),
        '-',
      ]);
      await service.logout((await service.getCertificate(token.certificateId)).tokenId);
    }
  } finally {
    await service.close();
  }
  printTable(
    `Token service vs direct pkcs11js (SoftHSM2, ${TOTAL} signatures per row)`,
    [
      'key',
      'in flight',
      'direct p50/p95 ms',
      'kyso p50/p95 ms',
      'p50 ratio',
      'direct sig/s',
      'kyso sig/s',
      'throughput ratio',
    ],
    rows,
  );
}

await main();
