// One private server process (`nats-server`, `redis-server`, …): a free 127.0.0.1 port, a fresh temp
// directory, a bounded readiness wait that fails fast when the child exits during start, and stop /
// SIGKILL / restart on the same port and directory (for fault tests), then dispose (the directory goes).
// Used by @synclag/testkit (tests, benchmarks) and @synclag/service (`synclag run`), so node built-ins
// only and no @synclag imports. Easy to get wrong: never touch the system servers on their default
// ports, bound every wait, and never leave a half-started child behind (it keeps the caller alive).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A free TCP port on 127.0.0.1, released before use. Chosen at random *below* the kernel's ephemeral
 * range and checked by binding it: a port the kernel picked for `listen(0)` goes straight back into
 * the pool it hands out, so the next `listen(0)` anywhere on the machine (a mock server, another test's
 * client) could take it between this check and the caller's own listen (seen in CI: EADDRINUSE on an
 * engine's ingest port). Falls back to a kernel-picked port if no random one is free.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = Math.max(1024, low - 12_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await canListen(port)) return port;
  }
  return listenOnce(0);
}

/** The kernel's ephemeral port range (Linux's default when it cannot be read). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low > 2048) return [low, high];
  } catch {
    // not Linux, or not readable
  }
  return [32_768, 60_999];
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

/** Binds `port` (0: the kernel picks) on 127.0.0.1, closes it again, resolves to the port. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** Whether `binary` is on the PATH. */
export function hasBinary(binary: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", binary], { stdio: "ignore" }).status === 0;
}

export class MissingBinaryError extends Error {
  readonly binary: string;
  readonly debianPackage: string;
  constructor(binary: string, debianPackage: string) {
    super(`${binary} is not installed: install it with \`apt-get install -y ${debianPackage}\` (synclag starts its own private ${binary}, never the system one)`);
    this.name = "MissingBinaryError";
    this.binary = binary;
    this.debianPackage = debianPackage;
  }
}

export interface ServerProcessOptions {
  readonly binary: string;
  /** The Debian package that ships `binary` (named by MissingBinaryError). */
  readonly debianPackage: string;
  /** Arguments for a given port and data directory. */
  readonly args: (port: number, dataDir: string) => string[];
  /** Longest wait for the port to accept connections, ms. Default 10 000. */
  readonly readyTimeoutMs?: number;
  /** Name prefix of the temp directory under os.tmpdir(). Default `synclag-<binary>-`. */
  readonly dataDirPrefix?: string;
}

const OUTPUT_LIMIT = 4000;

/**
 * Resolves once 127.0.0.1:`port` accepts a connection; rejects after `timeoutMs`, or at once when
 * `failed()` names a reason (the child exited), checked before every attempt.
 */
function waitForPort(port: number, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const reason = failed();
      if (reason !== undefined) return reject(new Error(reason));
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

/** One private server process; restartable on the same port and data directory. */
export class ServerProcess {
  readonly port: number;
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  /** A spawn failure (ENOENT, EACCES …): the child never ran, so no exit code or signal is set. */
  private spawnError: Error | undefined;
  private output = "";

  private constructor(private readonly options: ServerProcessOptions, port: number, dataDir: string) {
    this.port = port;
    this.dataDir = dataDir;
  }

  /** Starts the binary on a free port in a new temp directory; on failure nothing is left behind. */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    if (!hasBinary(options.binary)) throw new MissingBinaryError(options.binary, options.debianPackage);
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), options.dataDirPrefix ?? `synclag-${options.binary}-`));
    const server = new ServerProcess(options, port, dataDir);
    try {
      await server.restart();
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  /**
   * (Re)starts the process on the same port and directory and waits until it accepts connections.
   * Rejects (with the recent output) when it exits first or is not ready in time; the child is killed.
   */
  async restart(): Promise<void> {
    const binary = this.options.binary;
    if (this.running) throw new Error(`${binary} is already running (pid ${this.pid ?? "?"})`);
    const child = spawn(binary, this.options.args(this.port, this.dataDir), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.spawnError = undefined;
    this.output = "";
    const append = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-OUTPUT_LIMIT));
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    child.on("error", (error) => {
      if (this.child === child && child.pid === undefined) this.spawnError = error;
    });
    const exitReason = (): string | undefined => {
      if (this.child === child && this.spawnError) return `${binary} could not be started: ${this.spawnError.message}`;
      if (child.exitCode !== null || child.signalCode !== null) return `${binary} exited (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}) during start`;
      return undefined;
    };
    try {
      await waitForPort(this.port, this.options.readyTimeoutMs ?? 10_000, exitReason);
    } catch (error) {
      await this.stop("SIGKILL");
      throw new Error(`${(error as Error).message}${this.output ? `:\n${this.output}` : ""}`, { cause: error });
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.spawnError === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the process with `signal` and waits for it to exit (after `timeoutMs`, SIGKILL). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the process abruptly (fault tests). */
  kill(): Promise<void> {
    return this.stop("SIGKILL");
  }

  /** Stops the process and removes its data directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The last few thousand characters the current child wrote to stdout and stderr. */
  get recentOutput(): string {
    return this.output;
  }
}
