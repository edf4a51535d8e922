/**
 * Bundles the browser SDK (agent/client/index.ts, with the agent/protocol it carries) into one
 * ES module with esbuild, and emits its TypeScript declarations as one file, for integrators
 * who copy `kyso-client.js` + `.d.ts`.
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
    // Vietnamese messages stay readable (and searchable) instead of \u escapes.
    charset: 'utf8',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

/** Relative imports and re-exports between our own files, dropped when they become one file. */
const LOCAL_IMPORT = /^(?:import|export)\b[^;]*?\bfrom\s+'\.{1,2}\/[^']*';[ \t]*\n?/gm;

/**
 * The SDK's declarations (kyso-client.d.ts): the protocol files' and the client's, joined into
 * one self-contained file. Every protocol declaration is exported, as `export *` does in JS.
 */
export function buildClientTypes(): string {
  const program = ts.createProgram([entry], {
    declaration: true,
    emitDeclarationOnly: true,
    allowImportingTsExtensions: true,
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  const files = new Map<string, string>();
  const result = program.emit(undefined, (name, text) => {
    if (name.endsWith('.d.ts')) files.set(name.replaceAll('\\', '/'), text);
  });
  const client = [...files].find(([name]) => name.endsWith('/client/index.d.ts'))?.[1];
  if (result.emitSkipped || !client) throw new Error('no declarations emitted');
  const protocol = [...files]
    .filter(([name]) => /\/protocol\/(?!index\.d\.ts$)[^/]+\.d\.ts$/.test(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, text]) => text);
  return [...protocol, client].map((text) => text.replace(LOCAL_IMPORT, '')).join('\n');
}

// For integrators: `node --import tsx demo/build-client.ts > kyso-client.js`
// and `node --import tsx demo/build-client.ts --types > kyso-client.d.ts`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(process.argv.includes('--types') ? buildClientTypes() : await buildClient());
}
