/**
 * The digest pass: every signature's signed ranges hashed in ONE read of the file. A running
 * hash per algorithm is forked at the start of each /Contents (each signed revision is a prefix
 * of the next), and each fork then takes only its own tail range.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  HASH_NODE,
  parseSignedData,
  signedDataLength,
  type ParsedSignedData,
} from '../cms/index.ts';
import { toKysoError } from '../errors/index.ts';
import type { SignatureField } from './fields.ts';
import { PdfString, asNumber } from './objects.ts';
import type { PdfReader } from './reader.ts';
import type { ByteSource } from './source.ts';

/** A signed signature field with its parsed CMS and, after the pass, its computed digest. */
export interface Candidate {
  field: SignatureField;
  byteRange: number[];
  contents: Buffer;
  parsed?: ParsedSignedData;
  error?: string;
  digest?: Buffer;
}

/** The signed fields of a document, their CMS parsed (or the error code why not). */
export async function signedFields(
  reader: PdfReader,
  signatures: readonly SignatureField[],
): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for (const field of signatures) {
    const sig = field.value;
    if (!sig) continue;
    const br = await reader.resolve(sig.get('ByteRange'));
    const byteRange = Array.isArray(br) ? br.map((x) => asNumber(x) ?? -1) : [];
    const c: Candidate = { field, byteRange, contents: Buffer.alloc(0) };
    const contents = sig.get('Contents');
    if (contents instanceof PdfString) c.contents = trimDer(contents.bytes);
    try {
      c.parsed = parseSignedData(c.contents);
    } catch (error) {
      c.error = toKysoError(error).code;
    }
    candidates.push(c);
  }
  return candidates;
}

/** The CMS at the start of the zero-padded /Contents (DER, or BER with indefinite lengths). */
export function trimDer(bytes: Buffer): Buffer {
  return bytes.subarray(0, signedDataLength(bytes));
}

/**
 * One read of the file. Signatures whose first range is [0, b) fork the shared running hash
 * at b; every signature then consumes only its own later ranges.
 */
export async function hashAllInOnePass(source: ByteSource, candidates: Candidate[]): Promise<void> {
  interface Job {
    c: Candidate;
    alg: string;
    hash?: Hash;
    forkAt?: number;
    ranges: [number, number][];
  }
  const jobs: Job[] = [];
  for (const c of candidates) {
    if (!c.parsed || c.byteRange.length % 2 !== 0 || c.byteRange.length === 0) continue;
    const alg = HASH_NODE[c.parsed.hash];
    const ranges: [number, number][] = [];
    for (let i = 0; i < c.byteRange.length; i += 2) {
      const start = c.byteRange[i] ?? 0;
      const len = c.byteRange[i + 1] ?? 0;
      if (start < 0 || len < 0 || start + len > source.size) {
        ranges.length = 0;
        break;
      }
      ranges.push([start, start + len]);
    }
    if (ranges.length === 0) continue;
    const first = ranges[0];
    if (first && first[0] === 0) jobs.push({ c, alg, forkAt: first[1], ranges: ranges.slice(1) });
    else jobs.push({ c, alg, hash: createHash(alg), ranges });
  }
  if (jobs.length === 0) return;
  const running = new Map<string, Hash>();
  const forks = jobs
    .filter((j) => j.forkAt !== undefined)
    .sort((x, y) => (x.forkAt ?? 0) - (y.forkAt ?? 0));
  for (const j of forks) if (!running.has(j.alg)) running.set(j.alg, createHash(j.alg));
  const runningEnd = Math.max(0, ...forks.map((j) => j.forkAt ?? 0));
  let nextFork = 0;
  // Zero-length first ranges fork before any byte.
  const fork = (at: number): void => {
    for (; nextFork < forks.length && (forks[nextFork]?.forkAt ?? 0) <= at; nextFork++) {
      const j = forks[nextFork];
      if (j) j.hash = running.get(j.alg)?.copy();
    }
  };
  fork(0);
  let pos = 0;
  await source.forEachChunk(0, source.size, (chunk) => {
    const start = pos;
    const end = start + chunk.length;
    let at = start;
    while (at < Math.min(end, runningEnd)) {
      const stop = Math.min(end, runningEnd, forks[nextFork]?.forkAt ?? Infinity);
      if (stop > at) {
        const slice = chunk.subarray(at - start, stop - start);
        for (const h of running.values()) h.update(slice);
        at = stop;
      }
      fork(at);
    }
    for (const j of jobs) {
      for (const [rs, re] of j.ranges) {
        const s = Math.max(rs, start);
        const e = Math.min(re, end);
        if (e > s) j.hash?.update(chunk.subarray(s - start, e - start));
      }
    }
    pos = end;
  });
  for (const j of jobs) j.c.digest = j.hash?.digest();
}
