import { defineConfig } from 'vitest/config';

// Three tiers, chosen by file name (DEVELOPERS.md), run one after the other (groupOrder):
//   unit         *.test.ts next to the code, plus test/unit/**: fast, no servers
//   ui           renderer/**/*.test.tsx: component tests in jsdom (testing-library)
//   integration  test/integration/**: real Prosody, dante and a private Tor network from test/rig/
//   e2e          test/e2e/**: real Chromium through the browser bridge
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'main/**/*.test.ts', 'renderer/**/*.test.ts', 'test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          // Component tests of the renderer's features (testing-library in jsdom): fast, no servers.
          name: 'ui',
          sequence: { groupOrder: 0 },
          include: ['renderer/**/*.test.tsx'],
          environment: 'jsdom',
          setupFiles: ['renderer/test-setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The rig's servers are real processes on a 2-core machine: two files at a time at most.
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
