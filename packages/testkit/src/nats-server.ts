// Private nats-server for tests and benchmarks: JetStream on, a free 127.0.0.1 port, a fresh store
// directory, restartable on the same port and directory (file storage survives a restart, which is
// what the restart fault test relies on). Easy to get wrong: never point a test at the system server
// on 4222, and stop the server in afterAll — a leaked nats-server keeps the vitest worker alive.

import { ServerProcess, requireBinary } from "./server-process.js";

export const NATS_SERVER_BINARY = "nats-server";
/** The Debian package that ships the binary (2.9.10 on Debian 12). */
export const NATS_SERVER_PACKAGE = "nats-server";

export interface NatsServerOptions {
  /** How long to wait for the port to accept connections (ms). Default 10 000. */
  readonly readyTimeoutMs?: number;
  /** Extra command-line arguments, appended after the defaults. */
  readonly extraArgs?: readonly string[];
}

/**
 * Starts `nats-server -js -a 127.0.0.1 -p PORT -sd DIR`. `restart()` reuses port and store directory;
 * `stop()` is a clean SIGTERM shutdown (JetStream flushes its file store), `kill()` a SIGKILL.
 */
export function startNatsServer(options: NatsServerOptions = {}): Promise<ServerProcess> {
  return ServerProcess.start({
    binary: NATS_SERVER_BINARY,
    debianPackage: NATS_SERVER_PACKAGE,
    args: (port, dataDir) => ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dataDir, ...(options.extraArgs ?? [])],
    readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
  });
}

/** The client URL of a private server. */
export function natsUrl(server: ServerProcess): string {
  return `nats://127.0.0.1:${server.port}`;
}

/**
 * For `describe.skipIf(...)`: a reason to skip when nats-server is missing outside CI (naming the
 * package to install); throws under CI=true, where a missing server is a failure.
 */
export function natsServerMissing(): string | undefined {
  return requireBinary(NATS_SERVER_BINARY, NATS_SERVER_PACKAGE);
}
