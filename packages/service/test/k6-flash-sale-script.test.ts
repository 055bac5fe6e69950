// bench/k6/flash-sale.js under stubbed k6 modules (there is no k6 here; k6 runs the script, Node never
// does in production). The engine's /metrics are rendered by the real PrometheusMetrics, and percentiles
// are computed as k6's TrendSink computes them, so what is checked is what `k6 run` would report:
// - the lag gate: samples sit at Prometheus bucket upper bounds, so `p(99)<5000` would fail a run whose
//   p99 was 3 s (every lag in (2.5 s, 5 s] reads 5000); the threshold is `<=` the goal, a bucket bound;
// - teardown waits (bounded) until every applied order's lag is in, instead of reading the slowest
//   samples away right after the last iteration;
// - the buyer workload is the flash-sale scenario's: channel shares, catalogue, phases, restock.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildCatalog, loadScenario, rateSegments, type Scenario } from "@synclag/workload";
import { LATENCY_BUCKETS_MS, PrometheusMetrics } from "../src/prometheus-metrics.js";

const k6 = vi.hoisted(() => ({
  trends: new Map<string, Array<{ value: number; tags?: Record<string, string> }>>(),
  counters: new Map<string, number[]>(),
  posts: [] as Array<{ url: string; body: unknown }>,
  /** The headers each post was sent with, in the order of `posts`. */
  postHeaders: [] as Array<Record<string, string> | undefined>,
  gets: [] as string[],
  /** Body of GET <engine>/metrics; undefined = unreachable (status 0). Called once per read. */
  metrics: (() => "") as () => string | undefined,
  /** Body of GET <storefront>/_synclag/admin/stats (the mock's notification counters); undefined = 404. */
  stats: ((_url: string) => undefined) as (url: string) => unknown,
  slept: 0,
}));

vi.mock("k6/http", () => ({
  default: {
    get: (url: string) => {
      k6.gets.push(url);
      if (url.endsWith("/metrics")) {
        const body = k6.metrics();
        return body === undefined ? { status: 0, body: null } : { status: 200, body };
      }
      if (url.endsWith("/_synclag/admin/stats")) {
        const stats = k6.stats(url);
        return stats === undefined ? { status: 404, body: "{}" } : { status: 200, body: JSON.stringify(stats) };
      }
      return { status: 200, body: "{}", json: () => 5 };
    },
    post: (url: string, body: string, params?: { headers?: Record<string, string> }) => {
      k6.posts.push({ url, body: JSON.parse(body) as unknown });
      k6.postHeaders.push(params?.headers);
      return { status: url.includes("/checkout") ? 201 : 200, body: "" };
    },
    expectedStatuses: () => undefined,
  },
}));
vi.mock("k6", () => ({
  check: () => true,
  sleep: (seconds: number) => {
    k6.slept += seconds;
    vi.setSystemTime(new Date(Date.now() + seconds * 1000));
  },
}));
vi.mock("k6/metrics", () => ({
  Trend: class {
    constructor(readonly name: string) {}
    add(value: number, tags?: Record<string, string>) {
      const list = k6.trends.get(this.name) ?? [];
      list.push(tags ? { value, tags } : { value });
      k6.trends.set(this.name, list);
    }
  },
  Counter: class {
    constructor(readonly name: string) {}
    add(value: number) {
      const list = k6.counters.get(this.name) ?? [];
      list.push(value);
      k6.counters.set(this.name, list);
    }
  },
}));

interface K6Script {
  options: { scenarios: Record<string, Record<string, unknown> & { stages?: Array<{ target: number; duration: string }> }>; thresholds: Record<string, string[]>; teardownTimeout: string };
  FLASH_SALE: { durationMs: number; ordersPerDay: number; sale: { startMs: number; durationMs: number; multiplier: number }; restock: { atMs: number; quantity: number; skus: number }; catalog: { skus: number; stock: { min: number; max: number }; popularity: number }; agentShare: number; shares: Record<string, number>; seed: number };
  PHASES: { beforeMs: number; saleMs: number; afterMs: number; restockAtMs: number };
  catalog(): Array<{ sku: string; quantity: number }>;
  setup(): { baseline: unknown };
  buyer(): void;
  restock(): void;
  teardown(data: { baseline: unknown }): void;
}

const SCRIPT = new URL("../../../bench/k6/flash-sale.js", import.meta.url).href;

async function loadScript(env: Record<string, string> = {}): Promise<K6Script> {
  vi.stubGlobal("__ENV", env);
  vi.resetModules();
  return (await import(/* @vite-ignore */ SCRIPT)) as K6Script;
}

function flashSale(): Scenario {
  const loaded = loadScenario("flash-sale");
  if (!loaded.ok) throw new Error("flash-sale does not load");
  return loaded.scenario;
}

/** k6's TrendSink percentile: sorted values, linear interpolation between neighbours. */
function k6Percentile(values: readonly number[], pct: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = pct * (sorted.length - 1);
  const j = sorted[Math.floor(i)] as number;
  const k = sorted[Math.ceil(i)] as number;
  return j + (k - j) * (i - Math.floor(i));
}

/** Evaluates a k6 threshold of the form `p(N)<X` / `p(N)<=X` over `values`. */
function passes(threshold: string, values: readonly number[]): boolean {
  const match = /^p\((\d+(?:\.\d+)?)\)(<=|<)(\d+)$/.exec(threshold);
  if (!match) throw new Error(`unexpected threshold ${threshold}`);
  const p = k6Percentile(values, Number(match[1]) / 100);
  return match[2] === "<=" ? p <= Number(match[3]) : p < Number(match[3]);
}

const trend = (name: string) => (k6.trends.get(name) ?? []).map((s) => s.value);
const counter = (name: string) => (k6.counters.get(name) ?? []).reduce((a, b) => a + b, 0);
const CHANNELS = ["amazon", "shopify", "woocommerce", "flipkart"];

/**
 * An engine's /metrics: pushes to every channel, `applied` orders from amazon, the given lags on the other
 * channels in turn (lag i on the (i mod n)-th of them: a longer list extends each channel's, as an engine's does).
 */
async function engineMetrics(lagsMs: readonly number[], applied: number, channels = CHANNELS): Promise<string> {
  const engine = new PrometheusMetrics({ processMetrics: false });
  for (const channel of channels) engine.increment("push_calls_total", { channel });
  if (applied > 0) engine.increment("orders_applied_total", { source: "amazon" }, applied);
  const others = channels.filter((c) => c !== "amazon");
  lagsMs.forEach((lag, i) => engine.observe("propagation_lag_ms", lag, { channel: others[i % others.length] as string }));
  return engine.render();
}

/** An engine's /metrics by channel: orders applied per source, lags measured per channel (300 ms each), pushes abandoned. */
async function engineMetricsBy(state: { channels: readonly string[]; applied: Record<string, number>; lags: Record<string, number>; abandoned?: Record<string, Record<string, number>> }): Promise<string> {
  const engine = new PrometheusMetrics({ processMetrics: false });
  for (const channel of state.channels) engine.increment("push_calls_total", { channel });
  for (const [source, n] of Object.entries(state.applied)) engine.increment("orders_applied_total", { source }, n);
  for (const [channel, n] of Object.entries(state.lags)) for (let i = 0; i < n; i++) engine.observe("propagation_lag_ms", 300, { channel });
  for (const [channel, reasons] of Object.entries(state.abandoned ?? {})) for (const [reason, n] of Object.entries(reasons)) engine.increment("pushes_abandoned_total", { channel, reason }, n);
  return engine.render();
}

beforeEach(() => {
  k6.trends.clear();
  k6.counters.clear();
  k6.posts.length = 0;
  k6.postHeaders.length = 0;
  k6.gets.length = 0;
  k6.slept = 0;
  k6.stats = () => undefined;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("flash-sale.js: the sync-lag gate", () => {
  /** Runs setup (empty engine) and teardown over an engine that measured `lags` for orders owed exactly once each. */
  async function gate(lags: readonly number[]): Promise<{ values: number[]; threshold: string }> {
    const script = await loadScript({ SEED: "0" });
    k6.metrics = () => "";
    const data = script.setup();
    // Two channels: every applied order is owed once, so `lags.length` orders settle the run.
    const body = await engineMetrics(lags, lags.length, ["amazon", "shopify"]);
    k6.metrics = () => body;
    script.teardown(data);
    return { values: trend("sync_lag_ms"), threshold: script.options.thresholds["sync_lag_ms"]?.[0] as string };
  }

  it("passes a run whose p99 lag was 3 s (98 % at 300 ms, 2 % at 3 s: every lag under the 5 s goal)", async () => {
    const { values, threshold } = await gate(Array.from({ length: 1000 }, (_, i) => (i < 980 ? 300 : 3_000)));
    expect(values).toHaveLength(1000);
    expect(passes(threshold, values), `k6 would see p(99)=${k6Percentile(values, 0.99)} against ${threshold}`).toBe(true);
  });

  it("fails a run with 2 % of lags at 8 s (p99 over the goal)", async () => {
    const { values, threshold } = await gate(Array.from({ length: 1000 }, (_, i) => (i < 980 ? 300 : 8_000)));
    expect(passes(threshold, values)).toBe(false);
  });

  it("never passes a run whose true p99 (as k6 computes it) is over 5 s, and passes every run whose lags at the 99th percentile are within 5 s", async () => {
    const { threshold } = await gate([1]);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const bucketed = (lag: number) => LATENCY_BUCKETS_MS.find((bound) => lag <= bound) ?? Infinity;
    for (let run = 0; run < 400; run++) {
      // Lognormal lags around the goal: medians 200 ms … 3 s, long tails.
      const median = 200 + random() * 2800;
      const lags = Array.from({ length: 300 }, () => median * Math.exp(Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * 0.8));
      const truth = k6Percentile(lags, 0.99);
      const sorted = [...lags].sort((a, b) => a - b);
      const at = 0.99 * (sorted.length - 1);
      const around = [sorted[Math.floor(at)] as number, sorted[Math.ceil(at)] as number];
      const verdict = passes(threshold, lags.map(bucketed));
      if (truth > 5_000) expect(verdict, `true p99 ${truth}`).toBe(false);
      if (around.every((lag) => lag <= 5_000)) expect(verdict, `lags at p99 ${around.join(", ")}`).toBe(true);
    }
  });

  it("gates on a Prometheus bucket bound, the documented 5 s goal", async () => {
    const script = await loadScript();
    expect(script.options.thresholds["sync_lag_ms"]).toEqual(["p(99)<=5000"]);
    expect(LATENCY_BUCKETS_MS).toContain(5000);
    expect(script.options.thresholds["sync_lag_samples"]).toEqual(["count>0"]);
    expect(script.options.thresholds["sync_lag_unsettled"]).toEqual(["count==0"]);
  });
});

describe("flash-sale.js teardown: waits until every applied order's lag is in", () => {
  it("reads the lags that arrive after the last iteration (notifications still on their way), then stops once settled", async () => {
    const script = await loadScript({ SEED: "0" });
    const before = await engineMetrics([40, 40], 1); // an engine that ran before: its samples are not this run's
    k6.metrics = () => before;
    const data = script.setup();
    // This run: 300 orders applied (owed by 3 other channels each = 900 lags); 810 measured at the end of
    // the load, the last 90 (the slowest, 12 s) over the next reads; then 10 more orders arrive late.
    const fast = Array.from({ length: 810 }, () => 400);
    const reads = [
      await engineMetrics([40, 40, ...fast], 301),
      await engineMetrics([40, 40, ...fast, ...Array.from({ length: 45 }, () => 12_000)], 301),
      await engineMetrics([40, 40, ...fast, ...Array.from({ length: 90 }, () => 12_000)], 301),
      await engineMetrics([40, 40, ...fast, ...Array.from({ length: 90 }, () => 12_000)], 311),
      await engineMetrics([40, 40, ...fast, ...Array.from({ length: 120 }, () => 12_000)], 311),
    ];
    let read = 0;
    k6.metrics = () => reads[Math.min(read++, reads.length - 1)];
    const startedAt = Date.now();
    script.teardown(data);
    expect(trend("sync_lag_ms")).toHaveLength(930);
    // Each at its bucket's upper bound: 400 ms → 500, 12 s → 30 000.
    expect(trend("sync_lag_ms").filter((v) => v === 500)).toHaveLength(810);
    expect(trend("sync_lag_ms").filter((v) => v === 30_000)).toHaveLength(120);
    expect(counter("sync_lag_samples")).toBe(930);
    expect(counter("sync_lag_unsettled")).toBe(0);
    // Settled at the 5th read, then quiet for SETTLE_QUIET (5 s); never the full SETTLE_MAX.
    const waited = Date.now() - startedAt;
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(waited).toBeLessThan(15_000);
  });

  it("waits while a mock still owes order notifications, however long nothing changes at the engine", async () => {
    const script = await loadScript({ SEED: "0", STOREFRONTS: "amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002" });
    k6.metrics = () => "";
    const data = script.setup();
    // 10 orders applied and measured (2 channels: owed once each); amazon's mock still owes 1 notification
    // for 30 s (a real-time Amazon delay can be that long), then it is delivered and its order measured.
    const early = await engineMetrics(Array.from({ length: 10 }, () => 300), 10, ["amazon", "shopify"]);
    const late = await engineMetrics([...Array.from({ length: 10 }, () => 300), 30_000], 11, ["amazon", "shopify"]);
    const startedAt = Date.now();
    const delivered = () => Date.now() - startedAt >= 30_000;
    k6.metrics = () => (delivered() ? late : early);
    k6.stats = (url) => (url.startsWith("http://127.0.0.1:9001/") ? { notifications: { enqueued: 11, delivered: delivered() ? 11 : 10, lost: 0, droppedWhileDisabled: 0 } } : { notifications: { url: null } });
    script.teardown(data);
    expect(trend("sync_lag_ms")).toHaveLength(11);
    expect(trend("sync_lag_ms")).toContain(30_000);
    expect(counter("sync_lag_unsettled")).toBe(0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(35_000);
  });

  it("counts notifications still on their way at SETTLE_MAX as unmeasured lags, one per other channel", async () => {
    const script = await loadScript({ SEED: "0", SETTLE_MAX: "20s" });
    k6.metrics = () => "";
    const data = script.setup();
    const body = await engineMetrics(Array.from({ length: 30 }, () => 300), 10); // 4 channels: 30 owed, 30 measured
    k6.metrics = () => body;
    k6.stats = (url) => (url.includes(":9004/") ? { notifications: { enqueued: 5, delivered: 2, lost: 1, droppedWhileDisabled: 0 } } : undefined);
    script.teardown(data);
    expect(counter("sync_lag_unsettled")).toBe(2 * 3);
  });

  it("gives up after SETTLE_MAX and counts the lags still owed in sync_lag_unsettled (a failed threshold)", async () => {
    const script = await loadScript({ SEED: "0", SETTLE_MAX: "30s" });
    k6.metrics = () => "";
    const data = script.setup();
    const stuck = await engineMetrics(Array.from({ length: 250 }, () => 300), 100); // owed 300, 250 measured
    k6.metrics = () => stuck;
    const startedAt = Date.now();
    script.teardown(data);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(30_000);
    expect(Date.now() - startedAt).toBeLessThan(32_000);
    expect(counter("sync_lag_unsettled")).toBe(50);
    expect(trend("sync_lag_ms")).toHaveLength(250);
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining("50 of 300 lags owed for applied orders (short: flipkart 83 of 100, shopify 84 of 100, woocommerce 83 of 100), 0 order notifications on their way"));
    expect(script.options.teardownTimeout).toBe("60000ms");
  });

  it("names the channels whose lags fall short — an engine syncing channels that are not in STOREFRONTS (the catalogue is listed only there)", async () => {
    // The documented two-storefront run against an engine that still syncs all four channels: woocommerce
    // and flipkart list nothing (setup() lists the catalogue in the STOREFRONTS mocks), so their pushes fail
    // and never record a lag, while amazon and shopify are complete.
    const script = await loadScript({ SEED: "0", SETTLE_MAX: "10s", STOREFRONTS: "amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002", SHARES: "amazon=0.4,shopify=0.3" });
    k6.metrics = () => "";
    const data = script.setup();
    const body = await engineMetricsBy({
      channels: CHANNELS,
      applied: { amazon: 12, shopify: 8 },
      lags: { amazon: 8, shopify: 12 },
      abandoned: { woocommerce: { not_found: 20 }, flipkart: { rejected: 20 } },
    });
    k6.metrics = () => body;
    script.teardown(data);
    expect(counter("sync_lag_unsettled")).toBe(40);
    const warnings = vi.mocked(console.warn).mock.calls.map((call) => String(call[0])).join("\n");
    expect(warnings).toContain("40 of 60 lags owed for applied orders (short: flipkart 0 of 20, woocommerce 0 of 20)");
    // The engine's own account of those channels, and the cause: they are not among the storefronts.
    expect(warnings).toContain("flipkart: 0 pushes confirmed, 20 abandoned (rejected 20)");
    expect(warnings).toContain("woocommerce: 0 pushes confirmed, 20 abandoned (not_found 20)");
    expect(warnings).toMatch(/engine syncs flipkart, woocommerce, not in STOREFRONTS \(amazon, shopify\): 40 lags owed there, none measured.*--channel amazon=http:\/\/127\.0\.0\.1:9001 --channel shopify=http:\/\/127\.0\.0\.1:9002/);
    expect(warnings.match(/not in STOREFRONTS/g), "said once, when the wait starts").toHaveLength(1);
    expect(warnings).not.toMatch(/short: [^)]*(amazon|shopify)/);
    // The lags of the channels that are complete are still read.
    expect(trend("sync_lag_ms")).toHaveLength(20);
  });

  it("says at once, not after SETTLE_MAX, when channels outside STOREFRONTS owe lags and have measured none", async () => {
    const script = await loadScript({ SEED: "0", SETTLE_MAX: "10s", STOREFRONTS: "amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002", SHARES: "amazon=0.4,shopify=0.3" });
    k6.metrics = () => "";
    const data = script.setup();
    const body = await engineMetricsBy({ channels: CHANNELS, applied: { amazon: 5 }, lags: { shopify: 5 } });
    let warnedAt: number | undefined;
    const startedAt = Date.now();
    vi.mocked(console.warn).mockImplementation(() => {
      warnedAt ??= Date.now() - startedAt;
    });
    k6.metrics = () => body;
    script.teardown(data);
    expect(warnedAt).toBe(0);
    expect(String(vi.mocked(console.warn).mock.calls[0]?.[0])).toMatch(/engine syncs flipkart, woocommerce, not in STOREFRONTS/);
  });

  it("counts each channel's lags against the orders it owes (a channel's surplus does not cover another's shortfall)", async () => {
    const script = await loadScript({ SEED: "0", SETTLE_MAX: "10s" });
    k6.metrics = () => "";
    const data = script.setup();
    // 10 amazon orders: shopify, woocommerce and flipkart owe 10 each (30); 30 lags measured, but 15 on shopify
    // (a redelivered order measured twice, say) and 5 on flipkart.
    const body = await engineMetricsBy({ channels: CHANNELS, applied: { amazon: 10 }, lags: { shopify: 15, woocommerce: 10, flipkart: 5 } });
    k6.metrics = () => body;
    script.teardown(data);
    expect(counter("sync_lag_unsettled")).toBe(5);
    expect(vi.mocked(console.warn)).toHaveBeenCalledWith(expect.stringContaining("5 of 30 lags owed for applied orders (short: flipkart 5 of 10)"));
  });

  it("records no sample (sync_lag_samples 0, a failed threshold) when /metrics cannot be read", async () => {
    const script = await loadScript({ SEED: "0" });
    k6.metrics = () => undefined;
    const data = script.setup();
    script.teardown(data);
    expect(counter("sync_lag_samples")).toBe(0);
    expect(trend("sync_lag_ms")).toHaveLength(0);
  });
});

describe("flash-sale.js: the flash-sale scenario's buyer workload", () => {
  it("holds the scenario's figures (FLASH_SALE equals the built-in flash-sale)", async () => {
    const script = await loadScript();
    const scenario = flashSale();
    const sale = scenario.demand.curve[0];
    const restock = scenario.demand.restocks[0];
    expect(script.FLASH_SALE).toEqual({
      durationMs: scenario.duration,
      ordersPerDay: scenario.demand.ordersPerDay,
      sale: { startMs: sale?.start, durationMs: sale?.duration, multiplier: sale?.multiplier },
      restock: { atMs: restock?.at, quantity: restock?.quantity, skus: restock?.skus },
      catalog: { skus: scenario.catalog.skus, stock: scenario.catalog.stock, popularity: scenario.catalog.popularity },
      agentShare: scenario.demand.agentShare,
      shares: Object.fromEntries(scenario.channels.map((c) => [c.id, c.share])),
      seed: scenario.seed,
    });
    expect(scenario.demand.curve).toHaveLength(1);
    expect(scenario.demand.restocks).toHaveLength(1);
    expect(scenario.demand.extraUnitsMean).toBe(0);
  });

  it("sends buyers to the channels in the scenario's shares, and to SKUs by its Zipf popularity", async () => {
    const script = await loadScript({ AGENT_SHARE: "0" });
    for (let i = 0; i < 20_000; i++) script.buyer();
    const checkouts = k6.posts.filter((p) => p.url.endsWith("/_synclag/storefront/checkout"));
    expect(checkouts).toHaveLength(20_000);
    const port: Record<string, string> = { amazon: "9001", shopify: "9002", woocommerce: "9003", flipkart: "9004" };
    for (const channel of flashSale().channels) {
      const share = checkouts.filter((p) => p.url.includes(`:${port[channel.id]}/`)).length / checkouts.length;
      expect(share, channel.id).toBeGreaterThan(channel.share - 0.02);
      expect(share, channel.id).toBeLessThan(channel.share + 0.02);
    }
    const harmonic = Array.from({ length: 30 }, (_, i) => 1 / (i + 1) ** 0.8).reduce((a, b) => a + b, 0);
    const top = checkouts.filter((p) => (p.body as { sku: string }).sku === "SKU-0001").length / checkouts.length;
    expect(top).toBeGreaterThan(1 / harmonic - 0.02);
    expect(top).toBeLessThan(1 / harmonic + 0.02);
  });

  it("takes other shares from SHARES, and refuses a storefront without one", async () => {
    const script = await loadScript({ AGENT_SHARE: "0", STOREFRONTS: "a=http://127.0.0.1:7001,b=http://127.0.0.1:7002", SHARES: "a=3,b=1" });
    for (let i = 0; i < 8_000; i++) script.buyer();
    const toA = k6.posts.filter((p) => p.url.startsWith("http://127.0.0.1:7001/")).length / k6.posts.length;
    expect(toA).toBeGreaterThan(0.72);
    expect(toA).toBeLessThan(0.78);
    await expect(loadScript({ STOREFRONTS: "amazon=http://127.0.0.1:9001,ebay=http://127.0.0.1:9005" })).rejects.toThrow(/SHARES gives no share for ebay/);
  });

  it("seeds the scenario's catalogue (stock 10–30 per SKU, as buildCatalog draws it for seed 1) in each STOREFRONTS mock, then the engine", async () => {
    const script = await loadScript({ ENGINE_URL: "http://127.0.0.1:8080" });
    k6.metrics = () => "";
    script.setup();
    const expected = buildCatalog(flashSale(), 1).map((item) => ({ sku: item.sku, quantity: item.stock }));
    expect(new Set(expected.map((e) => e.quantity)).size).toBeGreaterThan(5);
    expect(k6.posts.map((p) => p.url)).toEqual([
      "http://127.0.0.1:9001/_synclag/admin/listings",
      "http://127.0.0.1:9002/_synclag/admin/listings",
      "http://127.0.0.1:9003/_synclag/admin/listings",
      "http://127.0.0.1:9004/_synclag/admin/listings",
      "http://127.0.0.1:8080/admin/stock",
    ]);
    for (const post of k6.posts.slice(0, 4)) expect(post.body).toEqual({ listings: expected });
    expect(k6.posts[4]?.body).toEqual({ kind: "set", items: expected });
    const other = await loadScript({ CATALOG_SEED: "42" });
    expect(other.catalog().map((i) => i.quantity)).toEqual(buildCatalog(flashSale(), 42).map((i) => i.stock));
    const fixed = await loadScript({ STOCK: "50", SKUS: "3" });
    expect(fixed.catalog()).toEqual([{ sku: "SKU-0001", quantity: 50 }, { sku: "SKU-0002", quantity: 50 }, { sku: "SKU-0003", quantity: 50 }]);
  });

  it("replays the scenario's phases as a time-lapse: 3 h in DURATION (60 s: 180×), its rates compressed alike, the sale as a step", async () => {
    const scenario = flashSale();
    for (const [duration, wallMs] of [[undefined, 60_000], ["2m", 120_000]] as const) {
      const script = await loadScript(duration === undefined ? {} : { DURATION: duration });
      const compression = scenario.duration / wallMs;
      const flash = script.options.scenarios["flash_sale"] as { startRate: number; timeUnit: string; stages: Array<{ target: number; duration: string }> };
      expect(flash.timeUnit).toBe("1m");
      // Each of the scenario's rate segments becomes one stage: its length / compression, its rate × compression.
      const segments = rateSegments(scenario);
      const holds = flash.stages.filter((s) => s.duration !== "0s");
      expect(holds.map((s) => s.duration)).toEqual(segments.map((s) => `${Math.round((s.endMs - s.startMs) / compression)}ms`));
      expect(holds.map((s) => s.target)).toEqual(segments.map((s) => Math.round((scenario.demand.ordersPerDay / 1440) * s.multiplier * compression)));
      expect(flash.startRate).toBe(holds[0]?.target);
      // The sale starts and ends as a step (k6's 0 s stage), as the scenario's rate does.
      expect(flash.stages.filter((s) => s.duration === "0s").map((s) => s.target)).toEqual([holds[1]?.target, holds[2]?.target]);
      const restock = script.options.scenarios["restock"];
      expect(restock).toMatchObject({ executor: "shared-iterations", exec: "restock", iterations: 1, startTime: `${Math.round((scenario.demand.restocks[0]?.at ?? 0) / compression)}ms` });
    }
    const defaults = await loadScript();
    expect(defaults.PHASES).toEqual({ beforeMs: 15_000, saleMs: 20_000, afterMs: 25_000, restockAtMs: 25_000 });
  });

  it("restocks as the scenario does: 15 units of the 10 most popular SKUs, through the engine", async () => {
    const script = await loadScript();
    script.restock();
    const restock = flashSale().demand.restocks[0];
    expect(k6.posts).toEqual([
      { url: "http://127.0.0.1:8080/admin/stock", body: { kind: "restock", items: Array.from({ length: restock?.skus ?? 0 }, (_, i) => ({ sku: `SKU-${String(i + 1).padStart(4, "0")}`, quantity: restock?.quantity })) } },
    ]);
    const without = await loadScript({ RESTOCK: "0" });
    expect(without.options.scenarios["restock"]).toBeUndefined();
  });

  it("posts to the engine's /admin/stock as JSON, with ADMIN_TOKEN as a bearer token when given (the engine refuses anything else)", async () => {
    const script = await loadScript();
    k6.metrics = () => "";
    script.setup();
    script.restock();
    const toEngine = () => k6.posts.flatMap((post, i) => (post.url.endsWith("/admin/stock") ? [k6.postHeaders[i]] : []));
    expect(toEngine()).toEqual([{ "content-type": "application/json" }, { "content-type": "application/json" }]);
    k6.posts.length = 0;
    k6.postHeaders.length = 0;
    const withToken = await loadScript({ ADMIN_TOKEN: "0123456789abcdef0123" });
    withToken.setup();
    withToken.restock();
    expect(toEngine()).toEqual([
      { "content-type": "application/json", authorization: "Bearer 0123456789abcdef0123" },
      { "content-type": "application/json", authorization: "Bearer 0123456789abcdef0123" },
    ]);
  });

  it("refuses a DURATION without a unit", async () => {
    await expect(loadScript({ DURATION: "60" })).rejects.toThrow('DURATION: "60" has no unit: write e.g. 60s or 60ms');
  });
});
