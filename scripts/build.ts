/**
 * Builds what users run into dist/ (`npm run build`): plain JavaScript, no TypeScript or tsx
 * at run time.
 *   dist/kyso.js         the CLI (agent/cli/main.ts); bin/kyso.js imports it
 *   dist/token-host.js   the token host child (agent/tokens/host/main.ts), forked by
 *                        agent/tokens/host-process.ts from beside its own chunk
 *   dist/tray-main.js    the Electron tray's main process; dist/preload.cjs, dist/pages/
 *   dist/chunk-*.js      shared code and lazily imported command modules (code splitting)
 *   dist/assets/…, dist/agent/devices/devices.json   data the code reads at run time
 * Data read through `new URL('<relative>', import.meta.url)` is copied under dist/ at the
 * same path relative to the repository, and the URL rewritten to point at the copy (the
 * package's own package.json stays where it is: `../package.json`).
 * Native addons (pkcs11js, usb) stay external: they are the package's runtime dependencies.
 * Everything else is bundled. The agent no longer uses pdf.js (anchor search reads the
 * content streams itself); only the demo page does, in the browser: its built module and
 * worker are copied to dist/pdfjs/, where demo/serve.ts finds them in the installed package.
 *   node --import tsx scripts/build.ts [OUTDIR]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildPages, buildPreload } from '../tray/build.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(root, 'dist');

/** Runtime dependencies: loaded from node_modules, never bundled. */
export const EXTERNAL = ['pkcs11js', 'usb', 'bufferutil', 'electron'];

const ASSET_URL = /new URL\((['"])(\.{1,2}\/[^'"]+)\1,\s*import\.meta\.url\)/g;

/** Copies files the sources read by URL next to the bundle and rewrites the URLs. */
function runtimeFiles(outDir: string, copied: Set<string>): Plugin {
  return {
    name: 'kyso-runtime-files',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const contents = source.replace(ASSET_URL, (whole, quote: string, rel: string) => {
          const target = resolve(dirname(args.path), rel);
          if (target.endsWith('.ts') || !existsSync(target)) return whole;
          const fromRoot = relative(root, target);
          if (fromRoot.startsWith('..'))
            throw new Error(`${args.path}: ${rel} is outside the repository`);
          let url: string;
          if (fromRoot === 'package.json') {
            url = relative(outDir, target).split(sep).join('/');
          } else {
            const copy = join(outDir, fromRoot);
            mkdirSync(dirname(copy), { recursive: true });
            copyFileSync(target, copy);
            copied.add(fromRoot);
            url = `./${fromRoot.split(sep).join('/')}`;
          }
          return `new URL(${quote}${url}${quote}, import.meta.url)`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * `kyso start --demo` serves the browser SDK, which demo/build-client.ts compiles with esbuild
 * and TypeScript on request; the built agent gets it compiled once, here, instead (neither
 * tool is installed with the package). The demo's page files go beside the chunks.
 */
function prebuiltDemoClient(outDir: string): Plugin {
  const clientModule = join(root, 'demo', 'build-client.ts');
  return {
    name: 'kyso-prebuilt-demo-client',
    setup(b) {
      b.onLoad({ filter: /build-client\.ts$/ }, async (args) => {
        if (resolve(args.path) !== clientModule) return undefined;
        const { buildClient, buildClientTypes } = await import('../demo/build-client.ts');
        const [js, dts] = [await buildClient(), buildClientTypes()];
        for (const file of ['index.html', 'app.js']) {
          copyFileSync(join(root, 'demo', file), join(outDir, file));
        }
        return {
          contents: [
            `export const buildClient = async () => ${JSON.stringify(js)};`,
            `export const buildClientTypes = () => ${JSON.stringify(dts)};`,
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

export interface BuildResult {
  outDir: string;
  /** Data files copied beside the bundle (repository-relative). */
  files: string[];
}

export async function buildAll(outDir: string = DIST): Promise<BuildResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const copied = new Set<string>();
  await build({
    entryPoints: {
      kyso: join(root, 'agent/cli/main.ts'),
      'token-host': join(root, 'agent/tokens/host/main.ts'),
      'tray-main': join(root, 'tray/main/electron-main.ts'),
    },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kysoCreateRequire } from 'node:module'; const require = __kysoCreateRequire(import.meta.url);",
    },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [prebuiltDemoClient(outDir), runtimeFiles(outDir, copied)],
  });
  mkdirSync(join(outDir, 'pdfjs'), { recursive: true });
  for (const file of ['pdf.min.mjs', 'pdf.worker.min.mjs']) {
    copyFileSync(join(root, 'node_modules/pdfjs-dist/build', file), join(outDir, 'pdfjs', file));
  }
  // Page shells, styles and the sandboxed preload of the tray; tray-main.js finds them in
  // its own directory (electron-main.ts: <its dir>/../dist).
  await buildPages(outDir);
  await buildPreload(outDir);
  // The VGCA drop-in for document systems (agent/vgca), served by the agent at /vgca.js.
  const { buildVgcaScript } = await import('../agent/vgca/build.ts');
  writeFileSync(join(outDir, 'vgca.js'), await buildVgcaScript({ minify: true }));
  return { outDir, files: [...copied].sort() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const result = await buildAll(process.argv[2] ? resolve(process.argv[2]) : DIST);
  const ms = Math.round(performance.now() - started);
  process.stderr.write(`built ${relative(process.cwd(), result.outDir) || '.'} in ${ms} ms\n`);
}
