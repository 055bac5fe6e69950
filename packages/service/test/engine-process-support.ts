// Test support: real `synclag engine` CLI processes (the production entry point, with its own signal
// handling) against private nats-server / redis-server on loopback — what a load balancer in front of
// replicas sees. Adapted from the HA review's support file (readiness scopes, the shutdown drain window).
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RedisStockStore } from "@synclag/redis-store";
import { afterEach } from "vitest";
import { freePort, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";

export const CLI = fileURLToPath(new URL("../../../apps/cli/bin/synclag.js", import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

export interface EngineProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Its JSON log lines (stdout), parsed. */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

/** `synclag engine --config <file>` with `config` (the ingest on 127.0.0.1 and a free port unless given); resolves once "engine ready" is logged. */
export async function startEngine(name: string, config: Record<string, unknown>): Promise<EngineProc> {
  const dir = mkdtempSync(join(tmpdir(), `engine-${name}-`));
  const file = join(dir, "engine.json");
  const port = (config.ingest as { port?: number } | undefined)?.port ?? (await freePort());
  writeFileSync(file, JSON.stringify({ ...config, ingest: { host: "127.0.0.1", ...(config.ingest as object), port } }));
  const child = spawn(process.execPath, [CLI, "engine", "--config", file], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const lines: Array<Record<string, unknown>> = [];
  let err = "";
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let i;
    while ((i = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-8_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  const proc: EngineProc = { name, child, port, url: `http://127.0.0.1:${port}`, lines, stderr: () => err, exited };
  await Promise.race([
    until(`${name} ready`, () => lines.some((l) => l.msg === "engine ready"), 40_000),
    exited.then((e) => {
      throw new Error(`${name} exited ${e.code}/${e.signal} before ready: ${err} ${JSON.stringify(lines.slice(-5))}`);
    }),
  ]);
  return proc;
}

export async function killEngine(p: EngineProc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await p.exited;
}

export interface Probe {
  readonly status: number | string;
  readonly body?: unknown;
}

/** GET `path`; a connection failure is `status: "error: <cause>"` (e.g. ECONNREFUSED), not a rejection. */
export async function probe(url: string, path: string, timeoutMs = 3_000): Promise<Probe> {
  try {
    const r = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* text */
    }
    return { status: r.status, body };
  } catch (error) {
    const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
    return { status: `error: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

/** Whether a new TCP connection to the port is accepted (false: refused). */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A WooCommerce `order.created` delivery as WooCommerce signs it with the mocks' test secret (on loopback). */
export function wooWebhook(url: string, nativeId: number, sku: string, quantity = 1): { readonly url: string; readonly init: RequestInit } {
  const body = JSON.stringify({ id: nativeId, status: "processing", date_created_gmt: new Date().toISOString().slice(0, 19), line_items: [{ sku, quantity }] });
  const signature = createHmac("sha256", "synclag-woocommerce-webhook-secret").update(body).digest("base64");
  return { url: `${url}/ingest/woocommerce`, init: { method: "POST", headers: { "x-wc-webhook-signature": signature, "x-wc-webhook-topic": "order.created", "content-type": "application/json" }, body } };
}

export interface Servers {
  readonly nats: PrivateServer;
  readonly redis: PrivateServer;
  /** A store client of the test's own, the stock seeded. */
  readonly store: RedisStockStore;
  /** An engine configuration on these servers; the channels point at a closed port (no push needs to land). */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Private NATS and Redis (AOF: a killed Redis comes back with its data), `skus` seeded at `quantity`. */
export async function startServers(skus: readonly string[], quantity: number): Promise<Servers> {
  const [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "aof" })]);
  const store = await RedisStockStore.connect({ url: redis.url });
  for (const sku of skus) await store.setQuantity({ sku, quantity, reason: "initial stock" });
  return {
    nats,
    redis,
    store,
    config: (extra = {}) => ({
      natsUrl: nats.url,
      redisUrl: redis.url,
      channels: [
        { kind: "shopify", baseUrl: "http://127.0.0.1:9/shopify" },
        { kind: "woocommerce", baseUrl: "http://127.0.0.1:9/woocommerce" },
      ],
      reconcileInterval: "0",
      logLevel: "info",
      feed: { ackWait: "3s" },
      ...extra,
    }),
    close: async () => {
      await store.close().catch(() => undefined);
      await Promise.all([nats.dispose(), redis.dispose()]);
    },
  };
}

/** The stock of `sku` as the store holds it now (undefined while Redis does not answer). */
export async function quantityOf(store: RedisStockStore, sku: string): Promise<number | undefined> {
  const levels = await store.snapshot([sku]).catch(() => undefined);
  return levels?.get(sku)?.quantity;
}

/**
 * For a describe block: the engine processes a test pushes to the returned list are killed after it, then
 * `cleanup` runs (closing the test's servers) — a failing test leaves no process or server behind.
 */
export function useEngineProcesses(cleanup?: () => Promise<void>): EngineProc[] {
  const procs: EngineProc[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) await killEngine(p).catch(() => undefined);
    await cleanup?.();
  }, 60_000);
  return procs;
}
