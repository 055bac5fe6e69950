// A private redis-server for tests and benchmarks: a free 127.0.0.1 port, a fresh temp directory, no
// persistence by default (AOF with fsync on every write for restart tests), optionally a one-node
// Redis Cluster owning all 16384 slots. Plus a tiny RESP client for admin commands (SCRIPT FLUSH,
// CLUSTER …), so testkit needs no Redis client library.
// Easy to get wrong: never connect to the system Redis on 6379 — every helper here takes the port of
// a server this process started; and bound every wait (the RESP client has a timeout).

import { connect } from "node:net";
import { ServerProcess, requireBinary } from "./server-process.js";

export const REDIS_SERVER_BINARY = "redis-server";
/** The Debian package that ships redis-server (redis-benchmark and redis-cli come with redis-tools). */
export const REDIS_DEBIAN_PACKAGE = "redis-server";

export interface RedisServerOptions {
  /**
   * "none" (default): `--save "" --appendonly no`, data lives only in memory.
   * "aof": append-only file with `appendfsync always` in the temp directory, so a killed and restarted
   * server keeps every acknowledged write (what a restart fault test needs).
   */
  readonly persistence?: "none" | "aof";
  /** Start with `--cluster-enabled yes` and assign all slots to this one node. Default false. */
  readonly cluster?: boolean;
  /** More `redis-server` arguments, e.g. `["--maxmemory", "64mb"]`. */
  readonly extraArgs?: readonly string[];
  /** Longest wait for the server to accept connections (and, in cluster mode, to report ok), ms. Default 10 000. */
  readonly readyTimeoutMs?: number;
}

export type RespValue = string | number | null | RespValue[] | RespError;

/** An error reply (`-ERR …`) returned as a value by `redisCommand`. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespError";
  }
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly process: ServerProcess;
  /** Sends one command to this server and returns its reply; error replies throw `RespError`. */
  command(...args: string[]): Promise<RespValue>;
  /**
   * Ends the process at once, without saving (`SHUTDOWN NOSAVE NOW FORCE`): clients see their connection
   * drop with commands in flight. With persistence "aof" every acknowledged write survives, as after a
   * power cut.
   */
  crash(): Promise<void>;
  /** Starts it again on the same port and directory and waits until it is ready. */
  restart(): Promise<void>;
  /** Stops the process and removes its directory. */
  dispose(): Promise<void>;
}

/** For tests: a skip reason when redis-server is missing (outside CI); throws under CI=true. */
export function redisServerSkipReason(): string | undefined {
  return requireBinary(REDIS_SERVER_BINARY, REDIS_DEBIAN_PACKAGE);
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const persistence = options.persistence ?? "none";
  const cluster = options.cluster ?? false;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const server = await ServerProcess.start({
    binary: REDIS_SERVER_BINARY,
    debianPackage: REDIS_DEBIAN_PACKAGE,
    readyTimeoutMs,
    args: (port, dataDir) => [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--protected-mode", "yes",
      "--dir", dataDir,
      "--daemonize", "no",
      "--logfile", "",
      "--loglevel", "warning",
      "--save", "",
      ...(persistence === "aof" ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
      ...(cluster ? ["--cluster-enabled", "yes", "--cluster-config-file", `${dataDir}/nodes.conf`] : []),
      ...(options.extraArgs ?? []),
    ],
  });
  const port = server.port;
  const command = (...args: string[]) => redisCommand(port, args);
  const ready = async () => {
    await waitUntil(readyTimeoutMs, async () => {
      try {
        await command("PING");
        return true;
      } catch (error) {
        if (error instanceof RespError && error.message.startsWith("LOADING")) return false;
        throw error;
      }
    });
    if (cluster) await ensureClusterSlots(command, readyTimeoutMs);
  };
  try {
    await ready();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: server,
    command,
    crash: async () => {
      await command("SHUTDOWN", "NOSAVE", "NOW", "FORCE").catch(() => undefined); // no reply: it exits
      await waitUntil(readyTimeoutMs, () => Promise.resolve(!server.running));
    },
    restart: async () => {
      await server.restart();
      await ready();
    },
    dispose: () => server.dispose(),
  };
}

async function ensureClusterSlots(command: (...args: string[]) => Promise<RespValue>, timeoutMs: number): Promise<void> {
  const info = String(await command("CLUSTER", "INFO"));
  if (!/cluster_slots_assigned:16384/u.test(info)) await command("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  await waitUntil(timeoutMs, async () => /cluster_state:ok/u.test(String(await command("CLUSTER", "INFO"))));
}

async function waitUntil(timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Sends one command to 127.0.0.1:`port` over a fresh connection (RESP2) and returns the reply.
 * Error replies throw `RespError`; no reply within `timeoutMs` throws.
 */
export function redisCommand(port: number, args: readonly string[], timeoutMs = 5_000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: RespValue) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    const timer = setTimeout(() => finish(new Error(`no reply from 127.0.0.1:${port} to ${args[0] ?? ""} within ${timeoutMs} ms`)), timeoutMs);
    socket.once("error", (error) => finish(error));
    socket.once("close", () => finish(new Error(`127.0.0.1:${port} closed the connection before replying to ${args[0] ?? ""}`)));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseResp(buffer, 0);
      if (parsed === undefined) return;
      if (parsed.value instanceof RespError) finish(parsed.value);
      else finish(undefined, parsed.value);
    });
    socket.write(encodeResp(args));
  });
}

export function encodeResp(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one RESP2 value at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseResp(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const values: RespValue[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buffer, position);
        if (item === undefined) return undefined;
        values.push(item.value);
        position = item.end;
      }
      return { value: values, end: position };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}
