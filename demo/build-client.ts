/**
 * Bundles the browser SDK (agent/client/index.ts) into one ES module with esbuild, and emits
 * its TypeScript declarations, for integrators who copy `kyso-client.js` + `.d.ts`.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const entry = fileURLToPath(new URL('../agent/client/index.ts', import.meta.url));

export async function buildClient(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
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

/** The SDK's declarations (kyso-client.d.ts). */
export function buildClientTypes(): string {
  const program = ts.createProgram([entry], {
    declaration: true,
    emitDeclarationOnly: true,
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  let declarations = '';
  const result = program.emit(undefined, (name, text) => {
    if (name.endsWith('.d.ts')) declarations = text;
  });
  if (result.emitSkipped || !declarations) throw new Error('no declarations emitted');
  return declarations;
}

// For integrators: `node --import tsx demo/build-client.ts > kyso-client.js`
// and `node --import tsx demo/build-client.ts --types > kyso-client.d.ts`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(process.argv.includes('--types') ? buildClientTypes() : await buildClient());
}
