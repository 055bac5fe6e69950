// @synclag/server-process — a private server process (nats-server, redis-server) on a free loopback
// port with its own temp directory. A runtime package (no vitest): @synclag/testkit re-exports it for
// tests, @synclag/service uses it for `synclag run` when no server URLs are given.

export { MissingBinaryError, ServerProcess, freePort, hasBinary } from "./server-process.js";
export type { ServerProcessOptions } from "./server-process.js";
