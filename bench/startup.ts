/**
 * Start-up time and idle memory of the built `kyso` (whole processes, as users start them),
 * each against a bare Node process doing the least the same job needs, measured in the same
 * run: `kyso --help` vs `node -e 0` (and the former tsx entry, for reference); `kyso start`
 * until its ready line vs a Node process that loads pkcs11js and initialises the same
 * SoftHSM2 module; the agent's idle RSS plus its token hosts' (from /proc).
 * Run: node --import tsx bench/startup.ts   (KYSO_BENCH_STARTUP_N runs per figure, default 9)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildAll } from '../scripts/build.ts';
import { loadTestPki } from '../native-test/pki.ts';
import { ms, printTable, ratio } from './stats.ts';

const N = Number(process.env.KYSO_BENCH_STARTUP_N ?? 9);
const repo = resolve(import.meta.dirname, '..');
const kyso = join(repo, 'bin', 'kyso.js');
const pki = loadTestPki();
const away = mkdtempSync(join(tmpdir(), 'kyso-bench-startup-'));
const env = { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: away };
writeFileSync(join(away, 'config.json'), JSON.stringify({ port: 0, modules: [pki.modulePath] }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Wall time of a whole process, from spawn to exit. */
function timeExit(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: away, env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
  return performance.now() - started;
}

export interface TreeMemory {
  /** Sum of each process's RSS: counts the node binary's shared pages once per process. */
  rssMb: number;
  /** Sum of proportional set sizes (shared pages split among every process using them). */
  pssMb: number;
  /** What the tree alone occupies: private pages of each, plus shared pages once. */
  uniqueMb: number;
}

/** Memory of a process and all its descendants, from /proc/PID/smaps_rollup. */
function treeMemory(pid: number): TreeMemory {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const kb = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  let rss = 0;
  let pss = 0;
  let unique = 0;
  let sharedMax = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() ?? 0;
    const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
    rss += kb(rollup, 'Rss');
    pss += kb(rollup, 'Pss');
    unique += kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty');
    sharedMax = Math.max(sharedMax, kb(rollup, 'Shared_Clean') + kb(rollup, 'Shared_Dirty'));
    queue.push(...(children.get(p) ?? []));
  }
  return { rssMb: rss / 1024, pssMb: pss / 1024, uniqueMb: (unique + sharedMax) / 1024 };
}

/** Spawns a long-running process; resolves at its first stdout line with the time and RSS. */
async function timeReady(
  args: string[],
  idleMs: number,
  cwd = away,
): Promise<{ ms: number; memory: TreeMemory }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const readyMs = await new Promise<number>((done, fail) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) done(performance.now() - started);
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, idleMs));
    return { ms: readyMs, memory: treeMemory(child.pid ?? 0) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
}

const bareModule = [
  '--input-type=module',
  '-e',
  [
    "import pkcs11js from 'pkcs11js';",
    'const p11 = new pkcs11js.PKCS11();',
    `p11.load(${JSON.stringify(pki.modulePath)});`,
    'p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });',
    'p11.C_GetSlotList(true);',
    "console.log('ready');",
    'setInterval(() => {}, 1000);',
    "process.on('SIGINT', () => { p11.C_Finalize(); process.exit(0); });",
  ].join(' '),
];

await buildAll();
const figures = {
  bare: [] as number[],
  help: [] as number[],
  tsxHelp: [] as number[],
  start: [] as number[],
  bareModule: [] as number[],
};
let agentMemory: TreeMemory | undefined;
let bareMemory: TreeMemory | undefined;
// Interleaved, so load from other processes on the machine hits both sides alike.
for (let i = 0; i < N; i++) {
  figures.bare.push(timeExit(['-e', '0']));
  figures.help.push(timeExit([kyso, '--help']));
  if (i < 3) {
    figures.tsxHelp.push(
      timeExit([
        '--import',
        join(repo, 'node_modules/tsx/dist/loader.mjs'),
        join(repo, 'agent/cli/main.ts'),
        '--help',
      ]),
    );
  }
  const idle = i === 0 ? 1500 : 0;
  // pkcs11js resolves from the repository's node_modules: run the baseline from there.
  const base = await timeReady(bareModule, idle, repo);
  figures.bareModule.push(base.ms);
  const agent = await timeReady([kyso, 'start', '--json'], idle);
  figures.start.push(agent.ms);
  if (i === 0) {
    bareMemory = base.memory;
    agentMemory = agent.memory;
  }
}
rmSync(away, { recursive: true, force: true });

const row = (name: string, kysoValue: number, baseline: number, unit: string, limit: number) => {
  const r = kysoValue / baseline;
  return [
    name,
    `${ms(kysoValue)} ${unit}`,
    `${ms(baseline)} ${unit}`,
    ratio(r),
    Number.isFinite(limit) ? `≤ ${limit}x` : '',
    Number.isFinite(limit) ? (r <= limit ? 'ok' : 'OVER') : '',
  ];
};
const mem = (m: TreeMemory | undefined, key: keyof TreeMemory) => (m ? m[key] : 0);
const memoryRow = (name: string, key: keyof TreeMemory, limitMb?: number) => {
  const value = mem(agentMemory, key);
  const baseline = mem(bareMemory, key);
  return [
    name,
    `${value.toFixed(1)} MB`,
    `${baseline.toFixed(1)} MB`,
    ratio(value / baseline),
    limitMb === undefined ? '' : `≤ ${limitMb} MB`,
    limitMb === undefined ? '' : value <= limitMb ? 'ok' : 'OVER',
  ];
};
printTable(
  `Start-up, medians of ${N} runs (whole processes, built dist/)`,
  ['figure', 'kyso', 'baseline', 'ratio', 'target', ''],
  [
    row('kyso --help vs node -e 0', median(figures.help), median(figures.bare), 'ms', 2),
    row(
      '(tsx sources --help vs node -e 0)',
      median(figures.tsxHelp),
      median(figures.bare),
      'ms',
      Infinity,
    ),
    row(
      'kyso start → ready vs pkcs11js + C_Initialize',
      median(figures.start),
      median(figures.bareModule),
      'ms',
      3,
    ),
    memoryRow('idle memory, agent + token host: private + shared once', 'uniqueMb', 80),
    memoryRow('  … sum of PSS', 'pssMb'),
    memoryRow('  … sum of RSS (node binary counted per process)', 'rssMb'),
  ],
);
