// @synclag/testkit — shared test support: private server processes and contract suites that every
// adapter of a port must pass (so the simulator's fakes cannot drift from Redis/NATS).

// --- Server processes ---
export { MissingBinaryError, ServerProcess, freePort, hasBinary, requireBinary } from "./server-process.js";
export type { ServerProcessOptions } from "./server-process.js";
export * from "./redis-server.js";
export * from "./nats-server.js";

// --- Contract suites ---
export * from "./stock-store-contract.js";
export * from "./order-feed-contract.js";
