// Private `nats-server -js` and `redis-server` processes for `synclag run` when no URLs are given: a free
// 127.0.0.1 port each, a fresh temp directory, a bounded readiness wait, stopped (and the directory
// removed) at the end. The process handling is @synclag/server-process (shared with testkit); this file
// adds the server recipes and the service's errors. Easy to get wrong: never fall back to the system
// servers on 4222/6379 — a run FLUSHes nothing, but it must not even write to a server it did not start
// unless told by URL.

import { ServerProcess, hasBinary } from "@synclag/server-process";
import { ServiceError } from "./errors.js";

export { freePort, hasBinary } from "@synclag/server-process";

export const SERVER_PACKAGES = { "nats-server": "nats-server", "redis-server": "redis-server" } as const;

type ServerBinary = keyof typeof SERVER_PACKAGES;

export interface PrivateServer {
  readonly binary: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** SIGKILL (fault tests); `restart()` brings it back on the same port and directory. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGTERM (bounded, then SIGKILL) and remove the directory. */
  dispose(): Promise<void>;
}

/** Runs a start or restart; any failure becomes an "environment" error naming the binary. */
async function starting<T>(binary: ServerBinary, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw new ServiceError("environment", `${binary} did not start: ${(error as Error).message}`, { cause: error });
  }
}

async function launch(binary: ServerBinary, args: (port: number, dir: string) => string[], url: (port: number) => string): Promise<PrivateServer> {
  if (!hasBinary(binary)) throw new ServiceError("environment", `${binary} is not installed: install the Debian package with \`apt-get install -y ${SERVER_PACKAGES[binary]}\`, or pass --${binary === "nats-server" ? "nats" : "redis"}-url`);
  const server = await starting(binary, () => ServerProcess.start({ binary, debianPackage: SERVER_PACKAGES[binary], args, dataDirPrefix: `synclag-run-${binary}-` }));
  return {
    binary,
    port: server.port,
    url: url(server.port),
    dataDir: server.dataDir,
    get pid() {
      return server.pid;
    },
    kill: () => server.kill(),
    restart: () => starting(binary, () => server.restart()),
    dispose: () => server.dispose(),
  };
}

export function startPrivateNats(): Promise<PrivateServer> {
  return launch("nats-server", (port, dir) => ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], (port) => `nats://127.0.0.1:${port}`);
}

/** `persistence: "aof"` keeps every acknowledged write across a kill (restart fault tests). */
export function startPrivateRedis(options: { readonly persistence?: "none" | "aof" } = {}): Promise<PrivateServer> {
  const aof = options.persistence === "aof";
  return launch(
    "redis-server",
    (port, dir) => ["--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", dir, "--daemonize", "no", "--logfile", "", "--loglevel", "warning", "--save", "", ...(aof ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"])],
    (port) => `redis://127.0.0.1:${port}`,
  );
}
