/** The independent judge of RFC 3161 tokens: `openssl ts -verify` against the test CA's root. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaHierarchy } from './ca.ts';

/** True when openssl accepts the token for this imprint, chained to the test root. */
export function opensslTsVerifies(ca: CaHierarchy, token: Buffer, digest: Buffer): boolean {
  const file = join(ca.dir, `judge-${randomBytes(4).toString('hex')}.tst`);
  writeFileSync(file, token);
  try {
    execFileSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-token_in',
        '-in',
        file,
        '-digest',
        digest.toString('hex'),
        '-CAfile',
        ca.file('root.pem'),
        '-untrusted',
        ca.file('int.pem'),
      ],
      { stdio: 'pipe', timeout: 10_000 },
    );
    return true;
  } catch {
    return false;
  }
}
