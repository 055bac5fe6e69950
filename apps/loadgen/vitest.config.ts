import { defineConfig } from "vitest/config";

// The CLI tests spawn the load generator (tsx start-up plus a short run) on shared CI cores: a generous
// per-test bound, not a performance assertion.
export default defineConfig({ test: { testTimeout: 60_000 } });
