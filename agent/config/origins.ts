/**
 * Origins the user approved once ("remember this website"). Kept in its own file, separate
 * from the administrator's config, written atomically (temp file + rename) so a crash never
 * leaves half a list. Re-read on every check so `kyso origins revoke` takes effect at once
 * for new connections of a running agent.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KysoError } from '../errors/index.ts';
import { normaliseOrigin } from './config.ts';

export interface ApprovedOrigin {
  origin: string;
  /** ISO time of the approval. */
  approvedAt: string;
}

interface StoreFile {
  version: 1;
  origins: ApprovedOrigin[];
}

export class OriginStore {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  list(): ApprovedOrigin[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KysoError('CONFIG_INVALID', { field: '(json)', file: this.file });
    }
    const origins = (json as Partial<StoreFile> | null)?.origins;
    if (!Array.isArray(origins)) {
      throw new KysoError('CONFIG_INVALID', { field: 'origins', file: this.file });
    }
    return origins.filter(
      (o): o is ApprovedOrigin =>
        typeof o === 'object' &&
        o !== null &&
        typeof (o as ApprovedOrigin).origin === 'string' &&
        typeof (o as ApprovedOrigin).approvedAt === 'string',
    );
  }

  has(origin: string): boolean {
    return this.list().some((o) => o.origin === origin);
  }

  add(origin: string, now = new Date()): void {
    const normal = normaliseOrigin(origin);
    if (normal === null) throw new KysoError('INVALID_INPUT', { field: 'origin', origin });
    const origins = this.list().filter((o) => o.origin !== normal);
    origins.push({ origin: normal, approvedAt: now.toISOString() });
    this.write(origins);
  }

  /** Returns false when the origin was not in the list. */
  revoke(origin: string): boolean {
    const normal = normaliseOrigin(origin) ?? origin;
    const before = this.list();
    const after = before.filter((o) => o.origin !== normal);
    if (after.length === before.length) return false;
    this.write(after);
    return true;
  }

  private write(origins: ApprovedOrigin[]): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    const body: StoreFile = { version: 1, origins };
    writeFileSync(temp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
