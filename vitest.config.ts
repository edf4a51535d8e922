import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'agent/**/*.test.ts',
      'tray/**/*.test.ts',
      'native-test/**/*.test.ts',
      'demo/**/*.test.ts',
    ],
    globalSetup: ['native-test/build-setup.ts', 'native-test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Token stores and ports are shared per run; files run in parallel workers but each
    // creates its own token directory when it needs to mutate one.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
