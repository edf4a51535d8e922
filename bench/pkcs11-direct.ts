/**
 * The true baseline of bench/server.ts: a user's own small program calling pkcs11js directly,
 * with none of Kyso (no token host, no IPC, no socket). Run by bench/server.ts as a separate,
 * bare Node process: `node --import tsx bench/pkcs11-direct.ts` with KYSO_DIRECT_* in the env.
 * Loads SoftHSM2, logs in once, then signs RSA-2048 PKCS#1 v1.5 (DigestInfo, CKM_RSA_PKCS):
 * 1 in flight with the synchronous C_Sign (p50), and N in flight with the asynchronous C_Sign
 * on N sessions (libuv pool, both cores). Prints one JSON line of figures per run.
 */
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { measure, type RunFigures } from './stats.ts';

const modulePath = required('KYSO_DIRECT_MODULE');
const tokenLabel = required('KYSO_DIRECT_LABEL');
const pin = required('KYSO_DIRECT_PIN');
const certificateId = required('KYSO_DIRECT_CERT');
const total = Number(process.env.KYSO_DIRECT_N ?? 1000);
const inFlight = (process.env.KYSO_DIRECT_IN_FLIGHT ?? '1,16').split(',').map(Number);

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

// DER prefix of DigestInfo for SHA-256 (what CKM_RSA_PKCS signs).
const SHA256_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const inputs = Array.from({ length: 64 }, () =>
  Buffer.concat([SHA256_PREFIX, createHash('sha256').update(randomBytes(32)).digest()]),
);
const mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };

const p11 = new pkcs11js.PKCS11();
p11.load(modulePath);
p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });

function findSlot(): Buffer {
  for (const slot of p11.C_GetSlotList(true)) {
    if (p11.C_GetTokenInfo(slot).label.trim() === tokenLabel) return slot;
  }
  throw new Error(`token ${tokenLabel} not found`);
}

function findAll(session: Buffer, template: pkcs11js.Template): Buffer[] {
  p11.C_FindObjectsInit(session, template);
  try {
    return p11.C_FindObjects(session, 64);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

/** The private key whose certificate (by SHA-256 thumbprint) is certificateId, via CKA_ID. */
function findKey(session: Buffer): Buffer {
  for (const cert of findAll(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
  ])) {
    const [value, id] = p11.C_GetAttributeValue(session, cert, [
      { type: pkcs11js.CKA_VALUE },
      { type: pkcs11js.CKA_ID },
    ]);
    const der = value?.value;
    if (
      !(der instanceof Buffer) ||
      createHash('sha256').update(der).digest('hex') !== certificateId
    )
      continue;
    const [key] = findAll(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: id?.value as Buffer },
    ]);
    if (key) return key;
  }
  throw new Error(`no private key for certificate ${certificateId}`);
}

function signAsync(session: Buffer, key: Buffer, data: Buffer): Promise<Buffer> {
  p11.C_SignInit(session, mechanism, key);
  return new Promise((resolve, reject) =>
    p11.C_Sign(session, data, Buffer.alloc(512), (error, signature) =>
      error ? reject(error) : resolve(signature),
    ),
  );
}

function run(): void {
  const slot = findSlot();
  const sessions = Array.from({ length: Math.max(...inFlight) }, () =>
    p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  const [first] = sessions;
  if (!first) throw new Error('no session');
  p11.C_Login(first, pkcs11js.CKU_USER, pin);
  const key = findKey(first);
  const results: Record<string, RunFigures> = {};
  const measureAll = async (): Promise<void> => {
    for (const n of inFlight) {
      const once = () =>
        measure(total, n, (i, worker) => {
          const session = sessions[worker] as Buffer;
          const data = inputs[i % 64] as Buffer;
          if (n > 1) return signAsync(session, key, data);
          // 1 in flight: the plain synchronous call a small program would make.
          p11.C_SignInit(session, mechanism, key);
          return Promise.resolve(p11.C_Sign(session, data, Buffer.alloc(512)));
        });
      await once(); // warm-up
      results[String(n)] = await once();
    }
  };
  measureAll()
    .then(() => {
      process.stdout.write(JSON.stringify(results) + '\n');
    })
    .finally(() => {
      p11.C_Logout(first);
      for (const s of sessions) p11.C_CloseSession(s);
      p11.C_Finalize();
    });
}

run();
