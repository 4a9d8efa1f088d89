import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The files of a probe that test/arch/add-probe.test.ts adds to a copy of the tree: checked and run there.
    exclude: ['test/arch/add-probe/**', 'node_modules/**'],
    // Probe tests pin workloads to CPUs and count kernel events: they must not run side by side.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
