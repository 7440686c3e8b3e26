import { defineConfig } from "vitest/config";

/**
 * Two projects, one `npm test`: `node` (LanceDB, servers, commands) and `worker` (the
 * Worker in workerd, test/worker/vitest.config.ts), so the native LanceDB addon never
 * loads in workerd and workerd never runs the Node suites.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // LanceDB and child-process tests are heavy; two cores here.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Node first, then the Worker: the timing-sensitive Node suites never share the CPU with workerd.
        test: { name: "node", include: ["test/**/*.test.ts"], exclude: ["test/live/**", "test/worker/**", "node_modules/**"], sequence: { groupOrder: 0 } },
      },
      "test/worker/vitest.config.ts",
    ],
  },
});
