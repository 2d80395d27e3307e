import { defineConfig } from 'vitest/config';

// Unit tests run on their own; integration and e2e tests share one real management API server per
// project (started by the global setup, or an existing cluster named by KUBESMITH_TEST_KUBECONFIG).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Real hosts: containers booting systemd and sshd. One file at a time: they share the two
        // cores, and some kernel state they change (swap) is global to the machine.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/docker-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
