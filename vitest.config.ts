import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/live/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // LanceDB and child-process tests are heavy; two cores here.
    maxWorkers: 2,
  },
});
