/**
 * Vitest global setup: builds dist/ (scripts/build.ts) once per run, so the tests that spawn
 * `bin/kyso.js` run the same JavaScript users install, never the TypeScript sources.
 */
import { buildAll } from '../scripts/build.ts';

export default async function setup(): Promise<void> {
  await buildAll();
}
