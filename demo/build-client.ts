/** Bundles the browser SDK (agent/client/index.ts) into one ES module with esbuild. */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export async function buildClient(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../agent/client/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    write: false,
    legalComments: 'none',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

// `node --import tsx demo/build-client.ts > kyso-client.js` for integrators.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(await buildClient());
}
