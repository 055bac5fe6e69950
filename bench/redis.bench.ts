// `npm run bench -- redis`: orders applied per second by RedisStockStore from one Node process — one
// script call per order at several in-flight windows, then batched calls — against the same machine's
// `redis-benchmark` EVALSHA ceiling for the same script; then the concurrency comparison (Lua store vs
// naive check-then-decrement vs WATCH/MULTI). Starts its own redis-server on a free loopback port.
// Easy to get wrong: client and server share this machine's cores, so figures are for comparison
// between modes on one run, not absolute capacity; and every phase runs for a fixed time (bounded).

import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { MAX_QUANTITY } from "@synclag/core";
import type { OrderInput } from "@synclag/core";
import { APPLY_SCRIPT, RedisStockStore, encodeApply, stockKeys } from "@synclag/redis-store";
import { hasBinary, startRedisServer } from "@synclag/testkit";
import type { RedisServer } from "@synclag/testkit";
import type { BenchContext } from "./run.js";
import { COMPARISON_CLIENTS, COMPARISON_STOCK, runComparison } from "./redis/concurrency-comparison.js";
import type { ComparisonOutcome } from "./redis/concurrency-comparison.js";
import { NaiveStockStore, OptimisticStockStore, createContrastClient } from "./redis/naive-stores.js";
import type { ContrastClient } from "./redis/naive-stores.js";

/** SKUs the throughput orders are spread over (a flash-sale catalogue); each starts at MAX_QUANTITY. */
const CATALOGUE_SKUS = 100;
const PHASE_MS = 2_500;
const WARMUP_MS = 1_000;
const SINGLE_WINDOWS = [1, 16, 64, 256] as const;
const BATCH_CONFIGS = [
  { batchSize: 100, window: 2 },
  { batchSize: 200, window: 2 },
  { batchSize: 200, window: 4 },
  { batchSize: 500, window: 2 },
] as const;
const REDIS_BENCHMARK_REQUESTS = 100_000;
const REDIS_BENCHMARK_TIMEOUT_MS = 40_000;

const skuName = (i: number) => `sku-${i % CATALOGUE_SKUS}`;

function singleLineOrder(label: string, n: number): OrderInput {
  return { orderId: `${label}-${n}`, sourceChannel: "amazon", lines: [{ sku: skuName(n), quantity: 1 }] };
}

async function freshStore(server: RedisServer, label: string, batchSize = 100): Promise<RedisStockStore> {
  await server.command("FLUSHALL"); // our own private server: keeps memory the same for every phase
  const store = await RedisStockStore.connect({ url: server.url, keyPrefix: `bench:${label}:`, batchSize });
  for (let i = 0; i < CATALOGUE_SKUS; i++) await store.setQuantity({ sku: skuName(i), quantity: MAX_QUANTITY });
  return store;
}

interface Measured {
  readonly ordersPerSecond: number;
  readonly orders: number;
  /** CPU the redis-server process used per order (user + sys, from INFO cpu): its ceiling is 10^6 / this. */
  readonly redisCpuMicrosPerOrder: number;
  /** CPU this Node process used per order (all its threads). */
  readonly nodeCpuMicrosPerOrder: number;
}

async function redisCpuSeconds(server: RedisServer): Promise<number> {
  const info = String(await server.command("INFO", "cpu"));
  return Number(/used_cpu_user:([\d.]+)/u.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/u.exec(info)?.[1]);
}

/** Runs `window` loops of `call` until the phase ends; returns orders applied per second and CPU per order. */
async function measure(server: RedisServer, window: number, durationMs: number, call: (worker: number) => Promise<number>): Promise<Measured> {
  const redisCpuBefore = await redisCpuSeconds(server);
  const nodeCpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  let orders = 0;
  await Promise.all(
    Array.from({ length: window }, async (_, worker) => {
      while (performance.now() < deadline) {
        const applied = await call(worker); // not `orders += await …`: that reads `orders` before the await
        orders += applied;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  const redisCpu = (await redisCpuSeconds(server)) - redisCpuBefore;
  const perOrder = (micros: number) => Math.round((micros / Math.max(orders, 1)) * 10) / 10;
  return {
    ordersPerSecond: Math.round((orders / elapsedMs) * 1000),
    orders,
    redisCpuMicrosPerOrder: perOrder(redisCpu * 1e6),
    nodeCpuMicrosPerOrder: perOrder(nodeCpu.user + nodeCpu.system),
  };
}

const summary = (result: Measured) =>
  `${result.ordersPerSecond} orders/s (${result.orders} orders; CPU per order: redis ${result.redisCpuMicrosPerOrder} µs, node ${result.nodeCpuMicrosPerOrder} µs)`;

function expectApplied(kinds: readonly string[]): number {
  const wrong = kinds.find((kind) => kind !== "applied");
  if (wrong) throw new Error(`benchmark order was ${wrong}, expected applied`);
  return kinds.length;
}

async function singleCalls(server: RedisServer, log: (message: string) => void): Promise<Record<string, Measured>> {
  const byWindow: Record<string, Measured> = {};
  for (const window of SINGLE_WINDOWS) {
    const store = await freshStore(server, `single-${window}`);
    let n = 0;
    const result = await measure(server, window, PHASE_MS, async () => expectApplied([(await store.applyOrder(singleLineOrder("s", n++))).kind]));
    byWindow[`window${window}`] = result;
    log(`one script call per order, ${window} in flight: ${summary(result)}`);
    await store.close();
  }
  return byWindow;
}

async function batchedCalls(server: RedisServer, log: (message: string) => void): Promise<Record<string, Measured>> {
  const byConfig: Record<string, Measured> = {};
  for (const { batchSize, window } of BATCH_CONFIGS) {
    const store = await freshStore(server, `batch-${batchSize}-${window}`, batchSize);
    let n = 0;
    const result = await measure(server, window, PHASE_MS, async () => {
      const orders = Array.from({ length: batchSize }, () => singleLineOrder("b", n++));
      return expectApplied((await store.applyOrders(orders)).map((r) => r.kind));
    });
    byConfig[`batch${batchSize}-window${window}`] = result;
    log(`batched, ${batchSize} orders per call, ${window} calls in flight: ${summary(result)}`);
    await store.close();
  }
  return byConfig;
}

/** `redis-benchmark` running the APPLY script (one single-line order per call) with 50 clients × 16 pipelined. */
async function redisBenchmark(server: RedisServer, log: (message: string) => void): Promise<{ perSecond: number | null; command: string; note?: string }> {
  if (!hasBinary("redis-benchmark")) return { perSecond: null, command: "", note: "redis-benchmark not installed (Debian package redis-tools)" };
  const store = await freshStore(server, "rb");
  await store.setQuantity({ sku: "bench-sku", quantity: MAX_QUANTITY });
  await store.close();
  const keys = stockKeys({ keyPrefix: "bench:rb:", partition: "stock" });
  // The same KEYS/ARGV the store sends for one order; __rand_int__ makes each order id (and its
  // idempotency key) new, so every call takes the full apply path rather than the duplicate one.
  const call = encodeApply(keys, [{ kind: "order", order: { orderId: "__rand_int__", sourceChannel: "amazon", lines: [{ sku: "bench-sku", quantity: 1 }], fingerprint: 'amazon|"bench-sku":1' } }], 1_700_000_000_000, 604_800_000);
  const orderKeyIndex = call.keys.indexOf(keys.order("__rand_int__"));
  if (orderKeyIndex < 0) throw new Error("order key not found in the encoded call");
  const args = ["-h", "127.0.0.1", "-p", String(server.port), "-c", "50", "-P", "16", "-n", String(REDIS_BENCHMARK_REQUESTS), "-r", "100000000000", "--csv",
    "EVALSHA", APPLY_SCRIPT.sha, String(call.keys.length), ...call.keys, ...call.args];
  const command = `redis-benchmark ${args.map((a) => (/^[\w.:-]+$/u.test(a) ? a : JSON.stringify(a))).join(" ")}`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), REDIS_BENCHMARK_TIMEOUT_MS);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`redis-benchmark exited with ${code}: ${text.slice(-500)}`));
    });
  });
  // CSV: "test","rps",… — the test column is the command line itself (it contains quotes), so the
  // seven numeric columns are read from the end of the row.
  const row = output.trim().split("\n").find((line) => /^"EVALSHA/iu.test(line));
  const numbers = row ? /"([\d.]+)"(?:,"[\d.]+"){6}$/u.exec(row) : null;
  const perSecond = numbers ? Number(numbers[1]) : Number.NaN;
  if (!Number.isFinite(perSecond)) return { perSecond: null, command, note: `could not parse redis-benchmark output: ${output.slice(-300)}` };
  const audited = Number(await server.command("XLEN", keys.audit));
  if (audited < REDIS_BENCHMARK_REQUESTS * 0.99) return { perSecond: null, command, note: `only ${audited} of ${REDIS_BENCHMARK_REQUESTS} calls applied an order` };
  log(`redis-benchmark EVALSHA (50 clients, 16 pipelined): ${Math.round(perSecond)} calls/s, ${audited} orders audited`);
  return { perSecond: Math.round(perSecond), command };
}

async function comparison(server: RedisServer, log: (message: string) => void) {
  await server.command("FLUSHALL");
  const clients: ContrastClient[] = [];
  const newClient = async () => {
    const client = createContrastClient(server.url);
    client.on("error", () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  try {
    const run = async (name: string, outcome: Promise<ComparisonOutcome>) => {
      const result = await outcome;
      log(`${name}: oversold ${result.oversoldUnits} units, ${result.doubleApplied} orders applied twice, ${result.appliedOrders} applied, ${Math.round(result.elapsedMs)} ms`);
      return result;
    };
    // Lua store: one store (own connection) per client.
    const lua = await Promise.all(Array.from({ length: COMPARISON_CLIENTS }, async () => new RedisStockStore({ client: await newClient(), keyPrefix: "cmp:lua:", clock: { now: () => 0 } })));
    for (const [sku, quantity] of Object.entries(COMPARISON_STOCK)) await (lua[0] as RedisStockStore).setQuantity({ sku, quantity });
    const luaResult = await run("lua", runComparison(
      lua.map((store) => ({ applyOrder: async (order: OrderInput) => ({ kind: narrow((await store.applyOrder(order)).kind) }) })),
      async (sku) => (await (lua[0] as RedisStockStore).snapshot([sku])).get(sku)?.quantity ?? 0,
    ));
    const naive = await Promise.all(Array.from({ length: COMPARISON_CLIENTS }, async () => new NaiveStockStore(await newClient(), "cmp:naive:")));
    for (const [sku, quantity] of Object.entries(COMPARISON_STOCK)) await (naive[0] as NaiveStockStore).setQuantity(sku, quantity);
    const naiveResult = await run("naive check-then-decrement", runComparison(naive, (sku) => (naive[0] as NaiveStockStore).quantity(sku)));
    const optimistic = await Promise.all(Array.from({ length: COMPARISON_CLIENTS }, async () => new OptimisticStockStore(await newClient(), "cmp:optimistic:")));
    for (const [sku, quantity] of Object.entries(COMPARISON_STOCK)) await (optimistic[0] as OptimisticStockStore).setQuantity(sku, quantity);
    const optimisticResult = await run("optimistic WATCH/MULTI", runComparison(optimistic, (sku) => (optimistic[0] as OptimisticStockStore).quantity(sku)));
    const optimisticRetries = optimistic.reduce((sum, store) => sum + store.retries, 0);
    log(`optimistic WATCH/MULTI: ${optimisticRetries} aborted transactions retried`);
    return { luaResult, naiveResult, optimisticResult, optimisticRetries };
  } finally {
    await Promise.all(clients.map((client) => client.destroy()));
  }
}

function narrow(kind: string): "applied" | "insufficient" | "duplicate" {
  if (kind === "applied" || kind === "insufficient" || kind === "duplicate") return kind;
  throw new Error(`unexpected outcome ${kind} in the comparison`);
}

export default async function redisBench(context: BenchContext): Promise<Record<string, unknown>> {
  // Other work on the machine competes with client and server for the same cores: recorded, not hidden.
  const loadAverageAtStart = loadavg().map((load) => Math.round(load * 100) / 100);
  const server = await startRedisServer();
  try {
    const version = String(await server.command("INFO", "server")).match(/redis_version:(\S+)/u)?.[1] ?? "unknown";
    context.log(`redis-server ${version} on 127.0.0.1:${server.port} (no persistence)`);
    const warm = await freshStore(server, "warmup");
    let n = 0;
    await measure(server, 64, WARMUP_MS, async () => expectApplied((await warm.applyOrders(Array.from({ length: 20 }, () => singleLineOrder("w", n++)))).map((r) => r.kind)));
    await warm.close();

    const single = await singleCalls(server, context.log);
    const batched = await batchedCalls(server, context.log);
    const ceiling = await redisBenchmark(server, context.log);
    const compared = await comparison(server, context.log);
    const best = (results: Record<string, Measured>) => Object.values(results).reduce((a, b) => (b.ordersPerSecond > a.ordersPerSecond ? b : a));
    const bestSingle = best(single);
    const bestBatched = best(batched);
    const singleOrdersPerSecond = bestSingle.ordersPerSecond;
    const batchedOrdersPerSecond = bestBatched.ordersPerSecond;
    return {
      singleOrdersPerSecond,
      batchedOrdersPerSecond,
      batchingSpeedup: Math.round((batchedOrdersPerSecond / singleOrdersPerSecond) * 100) / 100,
      redisBenchmarkEvalshaPerSecond: ceiling.perSecond,
      ...(ceiling.note === undefined ? {} : { redisBenchmarkNote: ceiling.note }),
      naiveOversold: compared.naiveResult.oversoldUnits,
      naiveDoubleApplied: compared.naiveResult.doubleApplied,
      luaOversold: compared.luaResult.oversoldUnits,
      luaDoubleApplied: compared.luaResult.doubleApplied,
      optimisticRetries: compared.optimisticRetries,
      optimisticOversold: compared.optimisticResult.oversoldUnits,
      optimisticDoubleApplied: compared.optimisticResult.doubleApplied,
      goals: {
        batchingAtLeast2x: batchedOrdersPerSecond >= 2 * singleOrdersPerSecond,
        atLeast50kSingleLineOrdersPerSecond: batchedOrdersPerSecond >= 50_000,
      },
      redisCpuMicrosPerOrder: { single: bestSingle.redisCpuMicrosPerOrder, batched: bestBatched.redisCpuMicrosPerOrder },
      detail: {
        single,
        batched,
        redisBenchmarkCommand: ceiling.command,
        workload: `single-line orders of 1 unit over ${CATALOGUE_SKUS} SKUs, ${PHASE_MS} ms per phase, one connection`,
        comparison: {
          clients: COMPARISON_CLIENTS,
          stock: COMPARISON_STOCK,
          lua: compared.luaResult,
          naive: compared.naiveResult,
          optimistic: compared.optimisticResult,
        },
        redisServerVersion: version,
        loadAverageAtStart,
        loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
      },
    };
  } finally {
    await server.dispose();
  }
}
