/**
 * Is the agent's port free, and if not, who holds it? On Linux the owner is found from
 * /proc/net/tcp{,6} (listening socket inode) and /proc/<pid>/fd links; processes of other
 * users stay anonymous, which is reported as such.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export type PortState =
  | { state: 'free' }
  | { state: 'in-use'; owner?: { pid: number; command: string } }
  | { state: 'error'; code: string };

/** Tries to bind 127.0.0.1:port and releases it at once. */
export function probePort(port: number, host = '127.0.0.1'): Promise<'free' | 'in-use' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EADDRINUSE' ? 'in-use' : (error.code ?? 'UNKNOWN'));
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve('free'));
    });
  });
}

/** Inodes of listening TCP sockets on a port, from /proc/net/tcp-style text. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const inode = cols[9];
    if (!local || !inode || state !== '0A') continue;
    if (local.split(':').at(-1)?.toUpperCase() === hexPort && inode !== '0') inodes.push(inode);
  }
  return inodes;
}

/**
 * The program of a command line without its arguments or directory:
 * "/usr/bin/python3 /home/an/x.py --token abc" → "python3",
 * '"C:\\Program Files\\VGCA\\VGCASignService.exe" -k' → "VGCASignService.exe".
 */
export function programName(command: string): string {
  const trimmed = command.trim();
  const quoted = /^"([^"]*)"/.exec(trimmed);
  let first = quoted ? (quoted[1] ?? '') : (trimmed.split(/\s+/)[0] ?? '');
  // Unquoted Windows paths with spaces: cut at the executable's extension.
  const exe = /^([A-Za-z]:\\.*?\.(?:exe|com|bat|cmd))(?:\s|$)/i.exec(trimmed);
  if (!quoted && exe?.[1]) first = exe[1];
  return first.split(/[\\/]/).pop() ?? '';
}

export function findSocketOwner(
  inodes: readonly string[],
  procRoot = '/proc',
): { pid: number; command: string } | undefined {
  if (inodes.length === 0) return undefined;
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(join(procRoot, pid, 'fd'));
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(procRoot, pid, 'fd', fd));
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      let command: string;
      try {
        command = readFileSync(join(procRoot, pid, 'cmdline'), 'utf8')
          .split('\0')
          .filter(Boolean)
          .join(' ');
      } catch {
        command = '';
      }
      return { pid: Number(pid), command };
    }
  }
  return undefined;
}

export async function checkPort(port: number, procRoot = '/proc'): Promise<PortState> {
  const result = await probePort(port);
  if (result === 'free') return { state: 'free' };
  if (result !== 'in-use') return { state: 'error', code: result };
  if (process.platform !== 'linux') return { state: 'in-use' };
  const inodes: string[] = [];
  for (const file of ['net/tcp', 'net/tcp6']) {
    try {
      inodes.push(...listeningInodes(readFileSync(join(procRoot, file), 'utf8'), port));
    } catch {
      // no procfs
    }
  }
  const owner = findSocketOwner(inodes, procRoot);
  return owner ? { state: 'in-use', owner } : { state: 'in-use' };
}
