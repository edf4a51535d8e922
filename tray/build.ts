/**
 * Builds the tray's window pages (TS → one ES module each, plus their HTML and CSS) and its
 * preload with esbuild. The main process (dist/tray-main.js) is bundled with the CLI and the
 * token host by scripts/build.ts (`npm run build`), which calls these. Tests call
 * buildPages() to get the exact files Electron would load.
 *   node --import tsx tray/build.ts [OUTDIR]   (same as npm run build; default dist/)
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pagesDir = join(here, 'pages');
export const PAGES = [
  'pin',
  'reader',
  'origin',
  'signing',
  'status',
  'settings',
  'doctor',
] as const;

export async function buildPages(outDir: string): Promise<string> {
  const out = join(outDir, 'pages');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: PAGES.map((p) => join(pagesDir, `${p}.ts`)),
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'silent',
  });
  // Every window has the same HTML shell (CSP, stylesheet, one module): one template.
  const shell = readFileSync(join(pagesDir, 'page.html'), 'utf8');
  for (const page of PAGES) {
    writeFileSync(join(out, `${page}.html`), shell.replaceAll('{{page}}', page));
  }
  for (const file of readdirSync(pagesDir)) {
    if (file.endsWith('.css')) copyFileSync(join(pagesDir, file), join(out, file));
  }
  return out;
}

/** The sandboxed preload (CommonJS, as sandboxed preloads require). */
export async function buildPreload(outDir: string): Promise<void> {
  await build({
    entryPoints: [join(here, 'main', 'preload.ts')],
    outfile: join(outDir, 'preload.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    external: ['electron'],
    logLevel: 'silent',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // The tray's main process shares its chunks (and the token host) with the CLI: one build.
  const { buildAll } = await import('../scripts/build.ts');
  await buildAll(process.argv[2]);
}
