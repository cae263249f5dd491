import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: the addon holds fds and uv handles per process, and
    // lab tests change network namespaces of child processes.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The addon's test-only hooks (native/addon.cc); never set outside the suite.
    env: { VXPROBE_NATIVE_TEST_HOOKS: '1' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
