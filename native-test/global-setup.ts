/**
 * Vitest global setup: builds the TEST PKI on SoftHSM2 once per run (idempotent) and points
 * every test at it through KYSO_TEST_PKI and SOFTHSM2_CONF.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default function setup(): void {
  const dir = resolve('.kyso-test/pki');
  execFileSync('bash', [resolve('softhsm/setup-test-pki.sh'), dir], { stdio: 'inherit' });
  process.env.KYSO_TEST_PKI = join(dir, 'pki.json');
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
}
