// Private server processes for integration tests and benchmarks: a free loopback port, a fresh temp
// directory, a readiness wait, stop / SIGKILL / restart on the same port and directory (for fault
// tests). Easy to get wrong: never touch the system servers on their default ports, and bound every
// wait. A missing binary is a clear message naming the Debian package; under CI=true the caller fails.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (asks the kernel for one, then releases it). */
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

export class MissingBinaryError extends Error {
  constructor(binary: string, debianPackage: string) {
    super(`${binary} is not installed: install it with \`apt-get install -y ${debianPackage}\` (tests start their own private ${binary})`);
    this.name = "MissingBinaryError";
  }
}

export function hasBinary(binary: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" }).status === 0;
}

/**
 * For tests: returns a reason to skip when the binary is missing outside CI; throws under CI=true
 * (a missing server in CI is a failure, not a skip).
 */
export function requireBinary(binary: string, debianPackage: string): string | undefined {
  if (hasBinary(binary)) return undefined;
  const error = new MissingBinaryError(binary, debianPackage);
  if (process.env.CI === "true") throw error;
  return error.message;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`server on 127.0.0.1:${port} not ready after ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export interface ServerProcessOptions {
  readonly binary: string;
  readonly debianPackage: string;
  /** Arguments for a given port and data directory. */
  readonly args: (port: number, dataDir: string) => string[];
  readonly readyTimeoutMs?: number;
}

/** One private server process; restartable on the same port and data directory. */
export class ServerProcess {
  readonly port: number;
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private output = "";

  private constructor(private readonly options: ServerProcessOptions, port: number, dataDir: string) {
    this.port = port;
    this.dataDir = dataDir;
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    if (!hasBinary(options.binary)) throw new MissingBinaryError(options.binary, options.debianPackage);
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), `synclag-${options.binary}-`));
    const server = new ServerProcess(options, port, dataDir);
    await server.restart();
    return server;
  }

  /** (Re)starts the process on the same port and directory and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.options.binary} is already running`);
    const child = spawn(this.options.binary, this.options.args(this.port, this.dataDir), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.output = "";
    child.stdout?.on("data", (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    child.stderr?.on("data", (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`${this.options.binary} exited with ${code} during start:\n${this.output}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(this.port, this.options.readyTimeoutMs ?? 10_000), exited]);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the process with `signal` and waits for it to exit (bounded). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
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

  get recentOutput(): string {
    return this.output;
  }
}
