/**
 * A real PC/SC smart-card stack for the tests, set up and torn down by the test itself:
 *
 *   token host (pkcs11js) → OpenSC's opensc-pkcs11.so (cac driver) → pcscd → vpcd (vsmartcard's
 *   virtual reader driver, TCP 35963/35964) → kyso-vcard-bridge (vcard-bridge.c, built here)
 *   → libcacard (a virtual CAC card over an NSS database holding key and certificate)
 *
 * Each card gets its own TEST key, certificate (issued by a TEST root made here with openssl)
 * and NSS database whose password is the card's PIN. The bridge models the PIN retry counter
 * libcacard lacks (kept in a state file, so a card pulled and put back keeps it), can present a
 * chosen ATR and serial, and "pulling" a card is ending its bridge: vpcd then reports the slot
 * empty. pcscd is started here (in the foreground, killed again by stop()) unless one is running.
 *
 * Nothing here is committed key material: everything lives in a temporary directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** vpcd's first slot listens on 0x8C7B (see /etc/reader.conf.d/vpcd), the second on the next. */
export const VPCD_PORTS = [35963, 35964] as const;
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const OPENSC_MODULES = [
  '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib64/opensc-pkcs11.so',
  '/usr/lib/opensc-pkcs11.so',
];
const BRIDGE_SOURCE = join(import.meta.dirname, 'vcard-bridge.c');
/**
 * NSS encrypts each private-key attribute with a PBKDF2-derived key and stores the round count
 * with it (10 000 by default), so every signature pays for those rounds: ~175 ms here, against
 * a few ms with one round. What counts is the setting when the database is written; the bridge
 * gets it too, harmlessly.
 */
const NSS_ENV = { NSS_MAX_MP_PBE_ITERATION_COUNT: '1' };

/** vpcd's two slots are machine-wide: one stack at a time, across test runs and worktrees. */
const LOCK_FILE = join(tmpdir(), 'kyso-smartcard-stack.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch {
      const holder = Number.parseInt(readFileSync(LOCK_FILE, 'utf8'), 10);
      if (!Number.isInteger(holder) || !alive(holder)) {
        rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`the smart-card stack is in use by process ${holder} (${LOCK_FILE})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function releaseLock(): void {
  try {
    if (Number.parseInt(readFileSync(LOCK_FILE, 'utf8'), 10) === process.pid) rmSync(LOCK_FILE);
  } catch {
    // Already gone.
  }
}

export type Availability = { ok: true; modulePath: string } | { ok: false; reason: string };

/**
 * The command's path, looked up on PATH and in the sbin folders, which a non-root user's PATH
 * often lacks (pcscd lives in /usr/sbin); undefined when it is not installed.
 */
function commandPath(command: string): string | undefined {
  try {
    const path = execFileSync('sh', ['-c', `command -v ${command}`], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin` },
    }).trim();
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

const onPath = (command: string): boolean => commandPath(command) !== undefined;

/** Whether every piece of the stack is installed (scripts/install-deps.sh installs them). */
export function smartcardAvailability(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: 'needs Linux (pcscd, vpcd)' };
  const missing: string[] = [];
  for (const [command, pkg] of [
    ['pcscd', 'pcscd'],
    ['certutil', 'libnss3-tools'],
    ['pk12util', 'libnss3-tools'],
    ['openssl', 'openssl'],
    ['cc', 'build-essential'],
    ['pkg-config', 'pkg-config'],
    ['opensc-tool', 'opensc'],
  ] as const) {
    if (!onPath(command)) missing.push(`${command} (${pkg})`);
  }
  if (!existsSync(VPCD_DRIVER)) missing.push(`${VPCD_DRIVER} (vsmartcard-vpcd)`);
  try {
    execFileSync('pkg-config', ['--exists', 'libcacard'], { stdio: 'ignore' });
  } catch {
    missing.push('libcacard.pc (libcacard-dev)');
  }
  const modulePath = OPENSC_MODULES.find((path) => existsSync(path));
  if (!modulePath) missing.push('opensc-pkcs11.so (opensc-pkcs11)');
  if (missing.length > 0 || !modulePath)
    return { ok: false, reason: `missing ${missing.join(', ')}` };
  const running = pcscdPid();
  if (running !== undefined && !vpcdListening(VPCD_PORTS[0]))
    return {
      ok: false,
      reason: `pcscd (pid ${running}) is running without vpcd's reader (started before vsmartcard-vpcd was installed?); restart it`,
    };
  if (running === undefined && process.getuid?.() !== 0 && !onPath('sudo'))
    return { ok: false, reason: 'pcscd is not running and cannot be started (not root)' };
  return { ok: true, modulePath };
}

/** Whether something listens on the TCP port (read from /proc: connecting would insert a card). */
function vpcdListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    const lines = readFileSync(table, 'utf8').split('\n').slice(1);
    // local_address is "ADDR:PORT", state 0A is LISTEN.
    if (
      lines.some((line) => {
        const fields = line.trim().split(/\s+/);
        return fields[1]?.endsWith(`:${hex}`) === true && fields[3] === '0A';
      })
    )
      return true;
  }
  return false;
}

function pcscdPid(): number | undefined {
  const pidFile = '/run/pcscd/pcscd.pid';
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return alive(pid) ? pid : undefined;
}

async function waitFor(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether PC/SC (pcscd) sees a card in vpcd slot `index`, read with opensc-tool. */
export function cardInReader(index: number): boolean {
  let out: string;
  try {
    out = execFileSync('opensc-tool', ['--list-readers'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return false;
  }
  // "Nr.  Card  Features  Name" rows, e.g. "1    Yes             Virtual PCD 00 01".
  const suffix = ` ${String(index).padStart(2, '0')}`;
  return out
    .split('\n')
    .some(
      (line) =>
        /^\d+\s+Yes\s/.test(line) &&
        /Virtual PCD \d\d \d\d$/.test(line.trim()) &&
        line.trim().endsWith(suffix),
    );
}

export interface CardSpec {
  /** Certificate common name; OpenSC's cac driver makes it the token label. */
  commonName: string;
  pin: string;
  /** 16 hex digits; libcacard's own (the same for every card) when absent. */
  serial?: string;
  /** ATR in hex to present instead of libcacard's. */
  atr?: string;
  /** PIN tries before lock-out (default 3). */
  tries?: number;
}

export interface VirtualCard {
  readonly index: number;
  /** The vpcd slot (0 or 1) and its TCP port. */
  readonly port: number;
  readonly label: string;
  readonly pin: string;
  readonly wrongPin: string;
  /** The serial presented (hex), undefined: libcacard's own, the same for every card. */
  readonly serial: string | undefined;
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  /** Whether the card is in its reader (its bridge is connected to vpcd). */
  readonly inserted: boolean;
}

export interface SmartcardStack {
  /** OpenSC's PKCS#11 module. */
  readonly modulePath: string;
  /** The first card's PIN and label. */
  readonly pin: string;
  readonly cardLabel: string;
  readonly cards: readonly VirtualCard[];
  readonly rootPem: string;
  /** Environment for the token hosts (OpenSC configuration). */
  readonly env: Record<string, string>;
  /**
   * Takes the machine-wide stack lock, builds the bridge, PKI and NSS databases, starts pcscd
   * if needed and inserts every card; resolves once PC/SC sees them all.
   */
  start(): Promise<void>;
  /**
   * Pulls a card out of its reader (default the first); resolves once PC/SC sees it gone, or
   * (`waitForReader: false`) as soon as the card is gone, before pcscd's next poll notices.
   */
  pull(card?: number, options?: { waitForReader?: boolean }): Promise<void>;
  /**
   * Puts a pulled card back (a new bridge, same database and PIN counter), optionally
   * presenting another serial or ATR from now on (`serial: undefined`: libcacard's own).
   * Resolves once PC/SC sees the card.
   */
  plugBack(card?: number, changes?: Partial<Pick<CardSpec, 'serial' | 'atr'>>): Promise<void>;
  /** Pulls every card, stops pcscd if it was started here, removes the temporary files. */
  stop(): Promise<void>;
}

interface CardState {
  spec: CardSpec;
  dir: string;
  label: string;
  certificatePem: string;
  certificateDer: Buffer;
  bridge: ChildProcess | undefined;
  stderr: string;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeRoot(dir: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '30',
    '-utf8',
    '-subj',
    '/C=VN/O=Kyso TEST/CN=Kyso TEST Smart Card Root CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/** Key, certificate and NSS database (password = PIN) for one card in `dir`. */
function makeCard(root: string, dir: string, spec: CardSpec, index: number): void {
  execFileSync('mkdir', ['-p', join(dir, 'nss')]);
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'card.key',
    '-out',
    'card.csr',
    '-utf8',
    '-subj',
    `/C=VN/O=Kyso TEST/CN=${spec.commonName}`,
  ]);
  writeFileSync(
    join(dir, 'ext.cnf'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'card.csr',
    '-CA',
    join(root, 'root.pem'),
    '-CAkey',
    join(root, 'root.key'),
    '-set_serial',
    String(1000 + index),
    '-days',
    '30',
    '-extfile',
    'ext.cnf',
    '-out',
    'card.pem',
  ]);
  openssl(dir, [
    'pkcs12',
    '-export',
    '-inkey',
    'card.key',
    '-in',
    'card.pem',
    '-certfile',
    join(root, 'root.pem'),
    '-name',
    'card',
    '-passout',
    'pass:transfer',
    '-out',
    'card.p12',
  ]);
  writeFileSync(join(dir, 'pin.txt'), `${spec.pin}\n`);
  const env = { ...process.env, ...NSS_ENV };
  const db = `sql:${join(dir, 'nss')}`;
  execFileSync('certutil', ['-N', '-d', db, '-f', join(dir, 'pin.txt')], { env, stdio: 'pipe' });
  execFileSync(
    'pk12util',
    ['-i', 'card.p12', '-d', db, '-k', join(dir, 'pin.txt'), '-W', 'transfer'],
    { cwd: dir, env, stdio: 'pipe' },
  );
  // The key must not outlive the database import.
  rmSync(join(dir, 'card.key'));
  rmSync(join(dir, 'card.p12'));
}

function wrongPinFor(pin: string): string {
  const last = pin.at(-1) === '0' ? '1' : '0';
  return pin.slice(0, -1) + last;
}

export function createSmartcardStack(
  specs: readonly CardSpec[] = [{ commonName: 'Nguyễn Văn Thẻ TEST', pin: '123456' }],
): SmartcardStack {
  const availability = smartcardAvailability();
  if (!availability.ok) throw new Error(`smart-card stack unavailable: ${availability.reason}`);
  if (specs.length === 0 || specs.length > VPCD_PORTS.length)
    throw new Error(`vpcd has ${VPCD_PORTS.length} slots`);
  const modulePath = availability.modulePath;
  const dir = mkdtempSync(join(tmpdir(), 'kyso-smartcard-'));
  const bridgePath = join(dir, 'kyso-vcard-bridge');
  // Only OpenSC's cac driver: no time lost probing the virtual card with every other driver,
  // and an ATR borrowed from another card (spec.atr) does not send OpenSC to that card's driver.
  const openscConf = join(dir, 'opensc.conf');
  writeFileSync(
    openscConf,
    'app default {\n  card_drivers = cac;\n  framework pkcs15 { use_file_caching = no; }\n}\n',
  );
  const env: Record<string, string> = { OPENSC_CONF: openscConf };
  let pcscd: ChildProcess | undefined;
  let cards: CardState[] = [];

  const card = (index: number): CardState => {
    const state = cards[index];
    if (!state) throw new Error(`no card ${index}`);
    return state;
  };

  const insert = async (index: number): Promise<void> => {
    const state = card(index);
    if (state.bridge) return;
    // A card put back before pcscd noticed it leave would look as if it had never left, with
    // a fresh virtual card behind OpenSC's back.
    await waitFor(
      () => !cardInReader(index),
      5000,
      `vpcd slot ${index} to be empty (is another bridge connected to it?)`,
    );
    const port = VPCD_PORTS[index] ?? VPCD_PORTS[0];
    const ready = join(state.dir, 'ready');
    rmSync(ready, { force: true });
    const args = [
      '--db',
      `sql:${join(state.dir, 'nss')}`,
      '--cert',
      'card',
      '--port',
      String(port),
    ];
    args.push('--state', join(state.dir, 'pin-tries'), '--ready', ready);
    args.push('--tries', String(state.spec.tries ?? 3));
    if (state.spec.serial) args.push('--serial', state.spec.serial);
    if (state.spec.atr) args.push('--atr', state.spec.atr);
    const bridge = spawn(bridgePath, args, {
      env: { ...process.env, ...NSS_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    state.stderr = '';
    bridge.stderr?.on('data', (chunk: Buffer) => {
      state.stderr += chunk.toString();
    });
    let exited = false;
    bridge.once('exit', () => {
      exited = true;
      if (state.bridge === bridge) state.bridge = undefined;
    });
    state.bridge = bridge;
    await waitFor(() => existsSync(ready) || exited, 10_000, `card ${index} bridge`);
    if (exited) throw new Error(`card ${index} bridge failed: ${state.stderr.trim()}`);
    // pcscd polls its readers (every 0.4 s for vpcd): wait until it has powered the card up.
    await waitFor(() => cardInReader(index), 5000, `PC/SC to see card ${index}`);
  };

  const remove = async (index: number, waitForReader = true): Promise<void> => {
    const bridge = card(index).bridge;
    if (!bridge) return;
    const gone = new Promise((resolve) => bridge.once('exit', resolve));
    bridge.kill('SIGTERM');
    await gone;
    if (!waitForReader) return;
    // Until pcscd has noticed, a card put back would look as if it had never left.
    await waitFor(() => !cardInReader(index), 5000, `PC/SC to see card ${index} gone`);
  };

  return {
    modulePath,
    get pin() {
      return specs[0]?.pin ?? '';
    },
    get cardLabel() {
      return specs[0]?.commonName ?? '';
    },
    get cards() {
      return cards.map((state, index): VirtualCard => ({
        index,
        port: VPCD_PORTS[index] ?? VPCD_PORTS[0],
        label: state.label,
        pin: state.spec.pin,
        wrongPin: wrongPinFor(state.spec.pin),
        get serial() {
          return state.spec.serial;
        },
        certificatePem: state.certificatePem,
        certificateDer: state.certificateDer,
        get inserted() {
          return state.bridge !== undefined;
        },
      }));
    },
    get rootPem() {
      return readFileSync(join(dir, 'root.pem'), 'utf8');
    },
    env,

    async start() {
      await acquireLock(90_000);
      const cflags = execFileSync('pkg-config', ['--cflags', '--libs', 'libcacard'], {
        encoding: 'utf8',
      });
      execFileSync(
        'sh',
        ['-c', `cc -O2 -Wall -o "${bridgePath}" "${BRIDGE_SOURCE}" ${cflags.trim()}`],
        { stdio: 'pipe' },
      );
      makeRoot(dir);
      cards = specs.map((spec, index) => {
        const cardDir = join(dir, `card${index}`);
        makeCard(dir, cardDir, spec, index);
        const certificatePem = readFileSync(join(cardDir, 'card.pem'), 'utf8');
        const der = execFileSync('openssl', ['x509', '-in', 'card.pem', '-outform', 'DER'], {
          cwd: cardDir,
        });
        return {
          spec: { ...spec },
          dir: cardDir,
          label: spec.commonName,
          certificatePem,
          certificateDer: der,
          bridge: undefined,
          stderr: '',
        };
      });
      if (pcscdPid() === undefined) {
        const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
        const command = [...sudo, commandPath('pcscd') ?? 'pcscd', '--foreground'];
        pcscd = spawn(command[0] ?? 'pcscd', command.slice(1), { stdio: 'ignore' });
        const started = pcscd;
        let exited = false;
        started.once('exit', () => {
          exited = true;
        });
        await waitFor(
          () => exited || VPCD_PORTS.every((port) => vpcdListening(port)),
          10_000,
          "pcscd and vpcd's ports",
        );
        if (exited) throw new Error('pcscd exited at start');
      }
      for (let index = 0; index < cards.length; index++) await insert(index);
    },

    async pull(index = 0, options = {}) {
      await remove(index, options.waitForReader ?? true);
    },

    async plugBack(index = 0, changes = {}) {
      Object.assign(card(index).spec, changes);
      await insert(index);
    },

    async stop() {
      for (let index = 0; index < cards.length; index++) await remove(index);
      if (pcscd && pcscd.exitCode === null) {
        const gone = new Promise((resolve) => pcscd?.once('exit', resolve));
        pcscd.kill('SIGTERM');
        await gone;
      }
      pcscd = undefined;
      rmSync(dir, { recursive: true, force: true });
      releaseLock();
    },
  };
}
