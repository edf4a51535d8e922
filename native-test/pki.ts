/** Reads the TEST PKI made by softhsm/setup-test-pki.sh, and makes private copies of it. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type TestRole = 'leader' | 'clerk' | 'seal' | 'ecdsa' | 'expired' | 'sim';

export interface TestToken {
  role: TestRole;
  label: string;
  pin: string;
  soPin: string;
  keyAlgorithm: 'RSA' | 'EC';
  alwaysAuthenticate: boolean;
  expired: boolean;
  certificateId: string;
  certificatePem: string;
}

export interface TestPki {
  dir: string;
  softhsm2Conf: string;
  modulePath: string;
  rootCaPem: string;
  issuingCaPem: string;
  trustChainPem: string;
  tokens: TestToken[];
  token(role: TestRole): TestToken;
}

function pkiFile(): string {
  const file = process.env.KYSO_TEST_PKI;
  if (file) return file;
  // Running a test file outside the global setup: build the PKI now.
  const dir = join(process.cwd(), '.kyso-test/pki');
  execFileSync('bash', ['softhsm/setup-test-pki.sh', dir], { stdio: 'ignore' });
  return join(dir, 'pki.json');
}

function parse(file: string): TestPki {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Omit<TestPki, 'dir' | 'token'>;
  return {
    ...data,
    dir: dirname(file),
    token(role) {
      const token = data.tokens.find((t) => t.role === role);
      if (!token) throw new Error(`no test token with role ${role}`);
      return token;
    },
  };
}

function loadSharedTestPki(): TestPki {
  return parse(pkiFile());
}

let ownCopy: TestPki | undefined;

/**
 * The test PKI for this test file: a private copy per process, made on first use, and
 * SOFTHSM2_CONF pointed at it. SoftHSM2 rewrites a token's files at every login, so two
 * processes signing on one token store can read each other's half-written files.
 */
export function loadTestPki(): TestPki {
  if (!ownCopy) {
    ownCopy = copyTestPki();
    process.env.SOFTHSM2_CONF = ownCopy.softhsm2Conf;
  }
  return ownCopy;
}

/**
 * A private copy of the test PKI (tokens included) for tests that change token state
 * (PIN counters, removal). Its softhsm2.conf points at the copy.
 */
export function copyTestPki(): TestPki {
  const source = loadSharedTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'kyso-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  cpSync(source.dir, dir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n`,
  );
  const json = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8')) as Record<string, unknown>;
  Object.assign(json, {
    softhsm2Conf: conf,
    rootCaPem: join(dir, 'root-ca.pem'),
    issuingCaPem: join(dir, 'issuing-ca.pem'),
    trustChainPem: join(dir, 'trust-chain.pem'),
  });
  writeFileSync(join(dir, 'pki.json'), JSON.stringify(json, null, 2));
  return parse(join(dir, 'pki.json'));
}
