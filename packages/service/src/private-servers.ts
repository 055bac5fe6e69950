// Private `nats-server -js` and `redis-server` processes for `synclag run` when no URLs are given: a free
// 127.0.0.1 port each, a fresh temp directory, a bounded readiness wait, stopped (and the directory
// removed) at the end. The same launch recipe as @synclag/testkit, kept here because testkit is a test
// library (it pulls in vitest). Easy to get wrong: never fall back to the system servers on 4222/6379 —
// a run FLUSHes nothing, but it must not even write to a server it did not start unless told by URL.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServiceError } from "./errors.js";

export const SERVER_PACKAGES = { "nats-server": "nats-server", "redis-server": "redis-server" } as const;

export function hasBinary(binary: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" }).status === 0;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const gone = exited();
      if (gone !== undefined) return reject(new Error(gone));
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`not accepting connections on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

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

async function launch(binary: "nats-server" | "redis-server", args: (port: number, dir: string) => string[], url: (port: number) => string): Promise<PrivateServer> {
  if (!hasBinary(binary)) throw new ServiceError("environment", `${binary} is not installed: install the Debian package with \`apt-get install -y ${SERVER_PACKAGES[binary]}\`, or pass --${binary === "nats-server" ? "nats" : "redis"}-url`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `synclag-run-${binary}-`));
  let child: ChildProcess | undefined;
  let output = "";
  const start = async () => {
    const started = spawn(binary, args(port, dataDir), { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    output = "";
    started.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    started.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    try {
      await waitForPort(port, 10_000, () => (started.exitCode !== null || started.signalCode !== null ? `${binary} exited during start: ${output}` : undefined));
    } catch (error) {
      started.kill("SIGKILL");
      throw new ServiceError("environment", `${binary} did not start: ${(error as Error).message}`, { cause: error });
    }
  };
  const stop = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    binary,
    port,
    url: url(port),
    dataDir,
    get pid() {
      return child?.pid;
    },
    kill: () => stop("SIGKILL"),
    restart: start,
    dispose: async () => {
      await stop("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
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
