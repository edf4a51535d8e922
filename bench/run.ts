/**
 * Runs every benchmark in bench/ (or those named on the command line) one after another,
 * each in its own process so one's memory does not skew the next.
 * Run: npm run bench [-- tokens server pdf startup]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const helpers = new Set(['run.ts', 'stats.ts', 'fixtures.ts']);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !helpers.has(f) && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
const wanted = process.argv.slice(2);
const chosen = wanted.length > 0 ? available.filter((name) => wanted.includes(name)) : available;

let failed = 0;
for (const name of chosen) {
  process.stdout.write(`\n=== bench/${name}.ts ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `${here}${name}.ts`], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
