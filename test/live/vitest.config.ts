import { defineConfig } from "vitest/config";

/** `npm run test:live`: the same clients against the real NIM and Qiniu APIs (needs keys and internet). */
export default defineConfig({
  test: {
    include: ["test/live/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
