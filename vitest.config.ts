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
    // A page's answer may need a bcrypt in its worker and a round trip on a loaded machine (CI
    // runs the mutations beside): polled assertions wait up to 10 s, not vitest's 1 s.
    expect: { poll: { timeout: 10_000 } },
  },
});
