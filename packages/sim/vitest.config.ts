import { defineConfig } from "vitest/config";

// Simulations are CPU-bound and CI machines are shared: a generous per-test limit (a bound, not a
// performance assertion — speed is measured in bench/).
export default defineConfig({ test: { testTimeout: 120_000 } });
