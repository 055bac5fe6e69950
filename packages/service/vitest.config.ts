import { defineConfig } from "vitest/config";

// Most of these files wait — on private nats-server/redis-server processes, engine processes started
// through the CLI, NATS outages, rate limits, reconcile rounds — and use little CPU while they do. One
// file at a time (vitest's default on a 2-core machine: cores − 1 workers) left the cores idle for most
// of the suite's ~10 min; two files at once keep them busy (three ran faster, but one timing test failed once under heavy load). Every file starts its own servers on free
// loopback ports and its own temp directories, so files do not share state.
// The timeouts are generous bounds for a shared 2-core CI machine, not performance assertions.
export default defineConfig({ test: { fileParallelism: true, maxWorkers: 2, testTimeout: 60_000, hookTimeout: 30_000 } });
