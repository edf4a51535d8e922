/**
 * Runs the built agent as a real process (`node bin/kyso.js start --json ...`) and waits for
 * its JSON ready line, for the tests that need the CLI rather than the in-process harness.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface AgentStartOptions {
  config: string;
  modules: string[];
  consentScript?: string;
}

/** The ready line `kyso start --json` prints first (other fields are not used here). */
export interface ReadyLine {
  port: number;
  urls: string[];
}

export interface AgentProcess {
  child: ChildProcessWithoutNullStreams;
  /** The first stdout line, parsed; rejects if the agent exits before printing it. */
  ready: Promise<ReadyLine>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything printed so far, for assertions on what the agent said. */
  stdout(): string;
  stderr(): string;
}

/** The command line after `node` (also used where the agent runs under `script`). */
export function agentStartArgs(options: AgentStartOptions): string[] {
  return [
    'bin/kyso.js',
    'start',
    '--json',
    '--config',
    options.config,
    ...options.modules.flatMap((m) => ['--module', m]),
    ...(options.consentScript === undefined ? [] : ['--consent-script', options.consentScript]),
  ];
}

export function spawnAgent(options: AgentStartOptions & { env: NodeJS.ProcessEnv }): AgentProcess {
  const child = spawn(process.execPath, agentStartArgs(options), { env: options.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<ReadyLine>((resolve, reject) => {
    child.stdout.on('data', () => {
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)) as ReadyLine);
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}: ${stderr}`)));
  });
  // A caller that only awaits `exited` must not see an unhandled rejection.
  ready.catch(() => undefined);
  return { child, ready, exited, stdout: () => stdout, stderr: () => stderr };
}
