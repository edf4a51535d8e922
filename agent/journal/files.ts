/**
 * The journal's files: the current one (`signing.jsonl`), rotated ones numbered in the order
 * they were rotated (`signing.000001.jsonl`, `signing.000002.jsonl`, …; never renamed again,
 * so a file's header can name its predecessor) and archives (`signing.000001.jsonl.gz`).
 * Nothing here deletes a journal file. Files from before numbering (`signing.jsonl.1` newest,
 * `.2`, …) are still read, oldest first, before the numbered ones.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface JournalFile {
  path: string;
  /** Rotation number; 0 for legacy files, Infinity for the current file. */
  seq: number;
  gzip: boolean;
}

function parts(file: string): { dir: string; stem: string; ext: string } {
  const ext = extname(file);
  return { dir: dirname(file), stem: basename(file, ext), ext };
}

/** Path of rotated file number seq. */
export function rotatedPath(file: string, seq: number): string {
  const { dir, stem, ext } = parts(file);
  return join(dir, `${stem}.${String(seq).padStart(6, '0')}${ext}`);
}

/** Rotated and archived files (not the current one), oldest first. */
export function listRotated(file: string): JournalFile[] {
  const { dir, stem, ext } = parts(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const numbered = new RegExp(`^${escape(stem)}\\.(\\d{6,})${escape(ext)}(\\.gz)?$`);
  const legacy = new RegExp(`^${escape(basename(file))}\\.(\\d+)$`);
  const bySeq = new Map<number, JournalFile>();
  const old: { n: number; path: string }[] = [];
  for (const name of names) {
    const m = numbered.exec(name);
    if (m) {
      const seq = Number(m[1]);
      const gzip = m[2] !== undefined;
      // Mid-archive both exist for a moment: the plain file is complete, read that one.
      if (bySeq.has(seq) && gzip) continue;
      bySeq.set(seq, { path: join(dir, name), seq, gzip });
      continue;
    }
    const l = legacy.exec(name);
    if (l) old.push({ n: Number(l[1]), path: join(dir, name) });
  }
  old.sort((a, b) => b.n - a.n);
  return [
    ...old.map((o) => ({ path: o.path, seq: 0, gzip: false })),
    ...[...bySeq.values()].sort((a, b) => a.seq - b.seq),
  ];
}

/** Every journal file, oldest first, the current one last (when it exists). */
export function listJournalFiles(file: string): JournalFile[] {
  const files = listRotated(file);
  if (existsSync(file)) files.push({ path: file, seq: Infinity, gzip: false });
  return files;
}

export function readText(f: JournalFile): string {
  const bytes = readFileSync(f.path);
  return (f.gzip ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Modification time (ms) of a file, 0 if unreadable. */
export function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
