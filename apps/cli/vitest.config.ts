import { defineConfig } from "vitest/config";

// These tests spawn the real CLI (tsx start-up plus a simulation) on shared CI cores: a generous
// per-test bound, not a performance assertion.
// Two files at a time: a worker blocked in spawnSync uses no CPU while its child runs, so vitest's
// default on a 2-core machine (cores − 1 = one file at a time) left a core idle whenever the other
// packages' suites were waiting on their servers.
export default defineConfig({ test: { testTimeout: 120_000, maxWorkers: 2 } });
