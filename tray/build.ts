/**
 * Builds the tray for Electron with esbuild: window pages (TS → one ES module each, plus
 * their HTML and CSS), the preload (CommonJS, as sandboxed preloads require) and the main
 * process. Tests call buildPages() to get the exact files Electron would load.
 *   node --import tsx tray/build.ts [OUTDIR]   (default tray/dist)
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pagesDir = join(here, 'pages');
export const PAGES = ['pin', 'origin', 'signing', 'status', 'settings', 'doctor'] as const;

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
  for (const file of readdirSync(pagesDir)) {
    if (file.endsWith('.html') || file.endsWith('.css'))
      copyFileSync(join(pagesDir, file), join(out, file));
  }
  return out;
}

export async function buildElectron(outDir: string): Promise<void> {
  await buildPages(outDir);
  await build({
    entryPoints: [join(here, 'main', 'preload.ts')],
    outfile: join(outDir, 'preload.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    external: ['electron'],
    logLevel: 'silent',
  });
  await build({
    entryPoints: [join(here, 'main', 'electron-main.ts')],
    outfile: join(outDir, 'main.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Native and vendor-facing packages stay outside the bundle.
    external: ['electron', 'pkcs11js', 'usb', 'tsx'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildElectron(process.argv[2] ?? join(here, 'dist'));
}
