import { defineConfig } from "vitest/config";

// Tests run against the live local stack that `npm test` starts (API_URL, DB_URL and keys in
// the environment), so files run one at a time: they share one database.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "local/tests/**/*.test.ts"],
    globalSetup: ["tests/setup.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
