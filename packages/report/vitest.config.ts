import { defineConfig } from "vitest/config";

// These tests run real simulations and a real browser; CI machines are shared: a generous per-test
// limit (a bound, not a performance assertion).
export default defineConfig({ test: { testTimeout: 120_000, hookTimeout: 120_000 } });
