import { defineConfig } from "vitest/config";

// These tests spawn the real CLI (tsx start-up plus a simulation) on shared CI cores: a generous
// per-test bound, not a performance assertion.
export default defineConfig({ test: { testTimeout: 120_000 } });
