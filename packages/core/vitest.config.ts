import { defineConfig } from "vitest/config";

// CI machines are shared and slow: a per-test bound, not a performance assertion.
export default defineConfig({ test: { testTimeout: 30_000 } });
