/**
 * Test set-up for opencryptoki's software token (swtok), the one PKCS#11 token on Debian that
 * really locks its user PIN (SoftHSM2 never does). Starts pkcsslotd when needed, then
 * re-initialises the swtok token on every run (C_InitToken with the SO PIN, C_InitPIN) and puts
 * an RSA key pair made on the token plus a certificate from a throwaway TEST CA on it.
 *
 * The swtok store is machine-wide (/var/lib/opencryptoki/swtok), so a lock file keeps two test
 * runs from re-initialising it under each other.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { buildName, issueCertificate, KeyUsageFlags, spkiOf } from '../softhsm/certificates.ts';
import { generateKeyPairOnToken, storeCertificateObject } from '../softhsm/token-objects.ts';

/** opencryptoki's factory SO PIN (opencryptoki docs, "pkcsconf -I": default SO PIN 87654321). */
export const OPENCRYPTOKI_DEFAULT_SO_PIN = '87654321';

const SLOTD = '/usr/sbin/pkcsslotd';
const PID_FILE = '/var/run/pkcsslotd.pid';
const SOCKET = '/var/run/pkcsslotd.socket';
const TOKEN_STORE = '/var/lib/opencryptoki';
const LOCK_DIR = '/var/lock/opencryptoki';
/** Token directories pkcsslotd and the STDLLs expect (as the package's tmpfiles.d creates them). */
const TOKEN_DIRS = ['swtok', 'icsf', 'tpm', 'lite', 'ccatok', 'ep11tok'];
const TEST_LOCK = join(tmpdir(), 'kyso-opencryptoki-swtok.lock');

export interface SoftTokenFixture {
  modulePath: string;
  label: string;
  serialNumber: string;
  pin: string;
  wrongPin: string;
  /** SHA-256 of the certificate DER, lowercase hex (the token service's certificate id). */
  certificateId: string;
  certificateDer: Buffer;
  /** Lets other test runs use the swtok token again. */
  release(): void;
}

export type Availability = { ok: true; modulePath: string } | { ok: false; reason: string };

const isRoot = () => process.getuid?.() === 0;

/** libopencryptoki.so.0 of this machine's architecture (Debian multiarch, or lib64 layouts). */
export function findOpencryptokiModule(): string | undefined {
  const candidates: string[] = [];
  for (const base of ['/usr/lib', '/usr/lib64']) {
    if (!existsSync(base)) continue;
    candidates.push(join(base, 'opencryptoki/libopencryptoki.so.0'));
    for (const entry of readdirSync(base)) {
      if (entry.endsWith('-linux-gnu') || entry.endsWith('-linux-gnueabihf')) {
        candidates.push(join(base, entry, 'opencryptoki/libopencryptoki.so.0'));
      }
    }
  }
  return candidates.find((path) => existsSync(path));
}

function slotdPid(): number | undefined {
  try {
    const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pkcsslotd' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cheap check made when the test file loads: can this process use opencryptoki at all?
 * Root can always set it up; another user needs a running pkcsslotd and the pkcs11 group.
 */
export function opencryptokiAvailability(): Availability {
  const modulePath = findOpencryptokiModule();
  if (!modulePath || !existsSync(SLOTD)) {
    return { ok: false, reason: 'opencryptoki is not installed (apt-get install opencryptoki)' };
  }
  if (isRoot()) return { ok: true, modulePath };
  if (slotdPid() === undefined) {
    return {
      ok: false,
      reason:
        'pkcsslotd is not running and only root can start it: run scripts/install-deps.sh (it starts it with sudo), then npm test',
    };
  }
  try {
    accessSync(join(TOKEN_STORE, 'swtok'), constants.R_OK | constants.W_OK);
  } catch {
    return {
      ok: false,
      reason:
        'this user cannot write the swtok store: run scripts/install-deps.sh (it adds you to group pkcs11), then npm test (it runs the tests under sg pkcs11)',
    };
  }
  return { ok: true, modulePath };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Group, directories and daemon as a fresh install needs them; does nothing when all is there. */
export function ensurePkcsslotd(): void {
  if (slotdPid() !== undefined) return;
  if (!isRoot()) throw new Error('pkcsslotd is not running and only root can start it');
  // The package's postinst makes the group; tmpfiles.d makes /var/lock/opencryptoki, which a
  // container without systemd may have lost.
  if (spawnSync('getent', ['group', 'pkcs11']).status !== 0) {
    execFileSync('groupadd', ['--system', 'pkcs11']);
  }
  const gid = Number(
    execFileSync('getent', ['group', 'pkcs11'], { encoding: 'utf8' }).split(':')[2],
  );
  const dirs = [
    TOKEN_STORE,
    LOCK_DIR,
    ...TOKEN_DIRS.flatMap((name) => [join(TOKEN_STORE, name), join(LOCK_DIR, name)]),
    ...TOKEN_DIRS.filter((name) => name !== 'tpm').map((name) =>
      join(TOKEN_STORE, name, 'TOK_OBJ'),
    ),
  ];
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true, mode: 0o770 });
    chownSync(dir, 0, gid);
    chmodSync(dir, 0o770); // mkdirSync's mode is cut by the umask
  }
  // A pid file left by a killed daemon would stop the new one from starting.
  rmSync(PID_FILE, { force: true });
  // pkcsslotd forks into the background itself; the parent exits once it is set up.
  const started = spawnSync(SLOTD, [], { stdio: 'ignore', timeout: 10_000 });
  if (started.status !== 0) throw new Error(`pkcsslotd failed to start (exit ${started.status})`);
  for (let waited = 0; waited < 5000; waited += 50) {
    if (slotdPid() !== undefined && existsSync(SOCKET)) return;
    sleep(50);
  }
  throw new Error('pkcsslotd did not come up within 5 s');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockHolder(): number | undefined {
  try {
    const pid = Number(readFileSync(TEST_LOCK, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** One test run at a time re-initialises the machine-wide swtok token. */
function acquireLock(timeoutMs = 90_000): () => void {
  for (let waited = 0; ; waited += 200) {
    try {
      writeFileSync(TEST_LOCK, String(process.pid), { flag: 'wx' });
      return () => {
        if (lockHolder() === process.pid) rmSync(TEST_LOCK, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder();
    // A lock left by a run that died (or one being written right now: retry soon).
    if (holder === undefined || !pidAlive(holder)) {
      if (holder !== undefined) rmSync(TEST_LOCK, { force: true });
      sleep(20);
      continue;
    }
    if (waited >= timeoutMs) throw new Error(`swtok busy: test lock held by pid ${holder}`);
    sleep(200);
  }
}

function findSwtokSlot(p11: pkcs11js.PKCS11): Buffer {
  for (const slot of p11.C_GetSlotList(true)) {
    const info = p11.C_GetTokenInfo(slot);
    if (info.model.trim() === 'IBM SoftTok') return slot;
  }
  throw new Error('no opencryptoki software token (swtok) slot: check /etc/opencryptoki');
}

function makeCertificate(spki: Buffer): Buffer {
  const DAY = 86_400_000;
  const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caName = buildName([
    ['C', 'VN'],
    ['O', 'Kyso TEST (không dùng thật)'],
    ['CN', 'TEST CA khóa PIN opencryptoki'],
  ]);
  return issueCertificate({
    subject: buildName([
      ['C', 'VN'],
      ['O', 'Kyso TEST'],
      ['UID', 'CCCD:001099000123'],
      ['CN', 'Trần Thị Khóa PIN'],
    ]),
    subjectPublicKeyDer: spki,
    issuer: caName,
    issuerKey: ca.privateKey,
    issuerPublicKeyDer: spkiOf(ca.publicKey),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    isCA: false,
    keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  });
}

/**
 * Starts pkcsslotd if needed and re-initialises the swtok token with a fresh user PIN, key pair
 * and certificate. Call release() on the result when the test is done.
 */
export function setUpOpencryptokiToken(modulePath: string): SoftTokenFixture {
  ensurePkcsslotd();
  const release = acquireLock();
  const label = 'Kyso TEST khoa PIN';
  const pin = '24681357';
  const wrongPin = '11112222';
  const p11 = new pkcs11js.PKCS11();
  try {
    p11.load(modulePath);
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const slot = findSwtokSlot(p11);
      try {
        // Wipes the token's objects and resets the user PIN (and its lock) to uninitialised.
        // CK_UTF8CHAR[32], blank-padded: the module reads all 32 bytes.
        p11.C_InitToken(slot, OPENCRYPTOKI_DEFAULT_SO_PIN, label.padEnd(32, ' '));
      } catch (error) {
        throw new Error(
          `C_InitToken on swtok failed (${(error as Error).message}): its SO PIN is no longer the ` +
            `default ${OPENCRYPTOKI_DEFAULT_SO_PIN}. Reset the store: stop pkcsslotd, empty ` +
            `${TOKEN_STORE}/swtok (keep TOK_OBJ/), remove /dev/shm/*swtok*, start pkcsslotd.`,
          { cause: error },
        );
      }
      const session = p11.C_OpenSession(
        slot,
        pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
      );
      p11.C_Login(session, pkcs11js.CKU_SO, OPENCRYPTOKI_DEFAULT_SO_PIN);
      p11.C_InitPIN(session, pin);
      p11.C_Logout(session);
      p11.C_Login(session, pkcs11js.CKU_USER, pin);
      const keyId = createHash('sha1').update('kyso-test-opencryptoki').digest();
      const spki = generateKeyPairOnToken(p11, session, {
        algorithm: 'RSA',
        keyId,
        label: 'Kyso TEST lockout key',
      });
      const certificateDer = makeCertificate(spki);
      storeCertificateObject(p11, session, certificateDer, {
        keyId,
        label: 'Kyso TEST lockout certificate',
      });
      p11.C_Logout(session);
      p11.C_CloseSession(session);
      const serialNumber = p11.C_GetTokenInfo(slot).serialNumber.trim();
      return {
        modulePath,
        label,
        serialNumber,
        pin,
        wrongPin,
        certificateId: createHash('sha256').update(certificateDer).digest('hex'),
        certificateDer,
        release,
      };
    } finally {
      p11.C_Finalize();
    }
  } catch (error) {
    release();
    throw error;
  } finally {
    p11.close();
  }
}
