/**
 * Bundles the VGCA compatibility script (agent/vgca/browser.ts over the SDK agent/client) into
 * one dependency-free classic script (IIFE) with esbuild: `vgca.js`, loaded with a plain
 * <script src> where pages loaded the VGCA plugin's script.
 *
 *   node --import tsx agent/vgca/build.ts > vgca.js
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./browser.ts', import.meta.url));

export async function buildVgcaScript(options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    minify: options.minify ?? false,
    banner: {
      js: '/* Kyso Agent: VGCA Sign Service compatibility script. docs/migration-vgca.md */',
    },
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(await buildVgcaScript({ minify: process.argv.includes('--minify') }));
}
