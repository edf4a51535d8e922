#!/usr/bin/env node
// Entry point of the `kyso` command: the CLI built by `npm run build` (dist/kyso.js).
// Plain JavaScript only: nothing here loads TypeScript, so it runs from any directory.
try {
  await import('../dist/kyso.js');
} catch (error) {
  const missing =
    error instanceof Error &&
    'code' in error &&
    error.code === 'ERR_MODULE_NOT_FOUND' &&
    /dist[\\/]kyso\.js/.test(error.message);
  if (!missing) throw error;
  process.stderr.write(
    'kyso: dist/kyso.js is missing; run `npm run build` in the Kyso Agent folder.\n',
  );
  process.exitCode = 3;
}
