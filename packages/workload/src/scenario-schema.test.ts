// The schema's promise: a bad scenario gets ONE list of every problem, each with its path, and
// whatever passes runs in the simulator without crashing or stalling it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, MAX_SEED, describeReadError, loadScenario, parseStrategy, rateSegments, strategyName, validateScenario, type ScenarioInput } from "./index.js";

const base: ScenarioInput = {
  name: "t",
  duration: "1h",
  catalog: { skus: 5, stock: 10 },
  channels: [{ id: "a", kind: "amazon", share: 1 }],
  demand: { ordersPerDay: 1000 },
};

function problemsOf(input: unknown): string[] {
  const result = validateScenario(input, "test");
  return result.ok ? [] : result.problems;
}

/** The problem at exactly `path` ("(root)" style as load-scenario prints it). */
function at(problems: string[], path: string): string | undefined {
  return problems.find((p) => p.startsWith(`${path}: `));
}

describe("strategies: one parser for the schema and the simulator", () => {
  it("rejects polling:0m, polling:abc and sub-second intervals in a scenario, each with its path", () => {
    const problems = problemsOf({ ...base, strategies: ["events", "polling:0m", "polling:abc", "polling:1ms", "polling:", "Events", "polling:15m"] });
    expect(at(problems, "strategies.1")).toMatch(/at least 1s/);
    expect(at(problems, "strategies.2")).toMatch(/bad polling interval in "polling:abc"/);
    expect(at(problems, "strategies.3")).toMatch(/"polling:1ms" is 1ms: it must be at least 1s/);
    expect(at(problems, "strategies.4")).toMatch(/bad polling interval/);
    expect(at(problems, "strategies.5")).toMatch(/unknown strategy "Events"/);
    expect(at(problems, "strategies.0")).toBeUndefined();
    expect(at(problems, "strategies.6")).toBeUndefined();
    expect(problems).toHaveLength(5);
  });

  it("refuses a polling interval beyond a year, or one that overflows, instead of stalling the simulator", () => {
    const problems = problemsOf({ ...base, strategies: ["events", "polling:367d", `polling:${"9".repeat(400)}s`, "polling:366d"] });
    expect(at(problems, "strategies.1")).toMatch(/longer than 366d/);
    expect(at(problems, "strategies.2")).toMatch(/bad polling interval/);
    expect(at(problems, "strategies.3")).toBeUndefined();
  });

  it("refuses stock a SKU cannot hold (the store's 1,000,000,000), alone or with its restocks", () => {
    const huge = problemsOf({ ...base, catalog: { ...base.catalog, stock: 2_000_000_000 } });
    expect(at(huge, "catalog.stock")).toBeDefined();
    const restocked = problemsOf({ ...base, catalog: { ...base.catalog, stock: 900_000_000 }, demand: { ...base.demand, restocks: [{ at: "1h", quantity: 60_000_000 }, { at: "2h", quantity: 60_000_000 }] } });
    expect(at(restocked, "demand.restocks")).toMatch(/exceeds 1000000000/);
  });

  it("takes a strategy listed twice (compare runs it once and says so), and names every strategy canonically", () => {
    const loaded = validateScenario({ ...base, strategies: ["events", "polling:900s", "polling:5m", "polling:15m"] }, "t");
    expect(loaded.ok && loaded.scenario.strategies).toEqual(["events", "polling:15m", "polling:5m", "polling:15m"]);
    expect(problemsOf({ ...base, demand: { ordersPerDay: 0 }, strategies: ["events", "polling:0m"] })).toEqual(["demand.ordersPerDay: Too small: expected number to be >0", expect.stringMatching(/^strategies\.1: polling interval in "polling:0m"/)]);
  });

  it("parseStrategy agrees with the schema: what validates parses, what is refused is refused", () => {
    expect(parseStrategy("events")).toEqual({ ok: true, strategy: { kind: "events" } });
    expect(parseStrategy("polling:1s")).toEqual({ ok: true, strategy: { kind: "polling", intervalMs: 1000 } });
    expect(parseStrategy("polling:1h30m")).toEqual({ ok: true, strategy: { kind: "polling", intervalMs: 5_400_000 } });
    for (const text of ["polling:0m", "polling:abc", "polling:999ms", "poll:15m", "events "]) {
      expect(parseStrategy(text).ok, text).toBe(false);
      expect(validateScenario({ ...base, strategies: [text] }, "t").ok, text).toBe(false);
    }
    for (const scenario of Object.values(BUILTIN_SCENARIOS)) for (const text of scenario.strategies ?? []) expect(parseStrategy(text).ok, text).toBe(true);
  });
});

describe("numbers the simulator divides by or loops on", () => {
  it("requires orderImport.poll ≥ 1s (0 hung the simulator) and a non-negative minAge", () => {
    expect(at(problemsOf({ ...base, orderImport: { poll: 0 } }), "orderImport.poll")).toMatch(/must be ≥ 1s: orders are imported once per poll/);
    expect(at(problemsOf({ ...base, orderImport: { poll: "0s" } }), "orderImport.poll")).toMatch(/≥ 1s/);
    expect(at(problemsOf({ ...base, orderImport: { poll: "500ms" } }), "orderImport.poll")).toMatch(/≥ 1s/);
    expect(at(problemsOf({ ...base, orderImport: { poll: "1s", minAge: -5 } }), "orderImport.minAge")).toMatch(/not a duration/);
    expect(validateScenario({ ...base, orderImport: { poll: "5m", minAge: "1m" } }, "t").ok).toBe(true);
  });

  it("rejects zero or negative values elsewhere, each by path", () => {
    const problems = problemsOf({
      ...base,
      catalog: { skus: 0, stock: { min: -1, max: 5 } },
      channels: [
        {
          id: "a",
          kind: "amazon",
          share: 0,
          profile: {
            rateLimit: { kind: "token-bucket", ratePerSecond: 0, burst: 0.5 },
            clientRateLimit: { ratePerSecond: 5, burst: 0 },
            apiLatency: { kind: "lognormal", medianMs: 0, p99Ms: -1 },
            visibilityDelay: { kind: "lognormal", medianMs: 100, p99Ms: 50 },
            batchLinger: -1,
          },
        },
        { id: "b", kind: "shopify", share: -1, profile: { rateLimit: { kind: "cost-points", maximumAvailable: 5, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 1 } } },
        { id: "c", kind: "woocommerce", share: 1, profile: { rateLimit: { kind: "leaky-bucket", capacity: 0, leakPerSecond: 2 }, apiLatency: { kind: "uniform", minMs: 10, maxMs: 5 } } },
      ],
      demand: { ordersPerDay: 0 },
      feed: { ackWait: 0 },
      engine: { reconcileInterval: "10ms" },
      convergenceBudget: 0,
    });
    for (const path of [
      "catalog.skus",
      "catalog.stock.min",
      "channels.0.share",
      "channels.0.profile.rateLimit.ratePerSecond",
      "channels.0.profile.rateLimit.burst",
      "channels.0.profile.clientRateLimit.burst",
      "channels.0.profile.apiLatency.medianMs",
      "channels.0.profile.apiLatency.p99Ms",
      "channels.0.profile.visibilityDelay.p99Ms",
      "channels.0.profile.batchLinger",
      "channels.1.share",
      "channels.1.profile.rateLimit.maximumAvailable",
      "channels.2.profile.rateLimit.capacity",
      "channels.2.profile.apiLatency.maxMs",
      "demand.ordersPerDay",
      "feed.ackWait",
      "engine.reconcileInterval",
      "convergenceBudget",
    ]) {
      expect(at(problems, path), `${path} in\n${problems.join("\n")}`).toBeDefined();
    }
  });

  it("caps a channel's clientTimeoutMs at 10m and revisionsPerListingPerDay at 1,000,000, with one message each by path", () => {
    const profile = (p: object) => ({ ...base, channels: [{ id: "a", kind: "ebay", share: 1, profile: p }] });
    const timeout = "must be at most 600000 ms (10m): marketplace clients give up after 10–15 s, and a longer timeout holds a call slot, and the updates in it, that long whenever a reply is lost";
    const revisions = "must be at most 1,000,000 (over 11 a second, all day, for one listing: in effect no cap); real caps are hundreds a day, and leaving the field out keeps the marketplace's own (eBay: 250; the others: none)";
    for (const value of [600_001, 86_400_000, 1e300]) expect(problemsOf(profile({ clientTimeoutMs: value })), String(value)).toEqual([`channels.0.profile.clientTimeoutMs: ${timeout}`]);
    for (const value of [1_000_001, 1e300]) expect(problemsOf(profile({ revisionsPerListingPerDay: value })), String(value)).toEqual([`channels.0.profile.revisionsPerListingPerDay: ${revisions}`]);
    expect(problemsOf(profile({ clientTimeoutMs: 1.5, revisionsPerListingPerDay: 0 }))).toEqual(["channels.0.profile.clientTimeoutMs: must be a whole number", "channels.0.profile.revisionsPerListingPerDay: Too small: expected number to be >0"]);
    expect(problemsOf(profile({ clientTimeoutMs: 600_000, revisionsPerListingPerDay: 1_000_000 }))).toEqual([]);
    expect(problemsOf(profile({ clientTimeoutMs: 1, revisionsPerListingPerDay: 1 }))).toEqual([]);
  });

  it("keeps reconcileInterval 0 (no reconciler) and batchLinger 0 (send at once) valid", () => {
    const input = { ...base, engine: { reconcileInterval: 0 }, channels: [{ id: "a", kind: "shopify", share: 1, profile: { batchLinger: 0 } }] };
    expect(problemsOf(input)).toEqual([]);
  });

  it("refuses scales the simulator cannot finish: durations over 366 days, rates so high arrivals stall", () => {
    expect(at(problemsOf({ ...base, duration: "100000d" }), "duration")).toMatch(/too long: at most 366d/);
    expect(at(problemsOf({ ...base, demand: { ordersPerDay: 1e20 } }), "demand.ordersPerDay")).toMatch(/peak rate/);
    expect(at(problemsOf({ ...base, demand: { ordersPerDay: 1, curve: [{ start: 0, duration: "1s", multiplier: 1e15 }] } }), "demand.ordersPerDay")).toMatch(/peak rate/);
    expect(at(problemsOf({ ...base, duration: "30d", demand: { ordersPerDay: 1_000_000 } }), "demand.ordersPerDay")).toMatch(/30,000,000 orders expected/);
  });
});

describe("cross-field checks run alongside field errors", () => {
  it("lists stock max < min and a duplicate channel id together with 8 field problems in one YAML file", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-schema-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "name: bad",
        "duration: 15 minutes", // 1
        "catalog: { skus: 0, stock: { min: 50, max: 10 } }", // 2 (+ cross-field max < min)
        "channels:",
        "  - { id: amazon, kind: amazon, share: 1 }",
        "  - { id: amazon, kind: shopify, share: 0 }", // 3 (+ duplicate id)
        "  - { id: Bad!, kind: walmart, share: 1 }", // 4, 5
        "demand: { ordersPerDya: 5 }", // 6, 7
        "strategies: [events, polling:0m]", // 8
      ].join("\n"),
    );
    const loaded = loadScenario(file);
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(at(problems, "catalog.stock.max")).toMatch(/must be ≥ min \(50\)/);
    expect(at(problems, "channels.1.id")).toMatch(/duplicate channel id "amazon" \(also channels.0.id\)/);
    for (const path of ["duration", "catalog.skus", "channels.1.share", "channels.2.id", "channels.2.kind", "demand", "demand.ordersPerDay", "strategies.1"]) {
      expect(at(problems, path), `${path} in\n${problems.join("\n")}`).toBeDefined();
    }
    expect(problems).toHaveLength(10);
  });

  it("compares distribution and limiter fields even when a sibling field failed", () => {
    const problems = problemsOf({
      ...base,
      channels: [{ id: "a", kind: "amazon", share: 1, profile: { apiLatency: { kind: "lognormal", medianMs: 100, p99Ms: 50, maxMs: -1 }, rateLimit: { kind: "cost-points", maximumAvailable: 5, restoreRatePerSecond: -1, costPerCall: 10, costPerItem: 0 } } }],
    });
    expect(at(problems, "channels.0.profile.apiLatency.maxMs")).toBeDefined();
    expect(at(problems, "channels.0.profile.apiLatency.p99Ms")).toMatch(/must be ≥ medianMs/);
    expect(at(problems, "channels.0.profile.rateLimit.restoreRatePerSecond")).toBeDefined();
    expect(at(problems, "channels.0.profile.rateLimit.maximumAvailable")).toMatch(/not even a one-item call/);
  });

  it("does not report a cross-field problem on fields that are themselves invalid", () => {
    const problems = problemsOf({ ...base, catalog: { skus: 5, stock: { min: "x", max: 1 } }, channels: [{ id: "A!", kind: "amazon", share: 1 }, { id: "A!", kind: "amazon", share: 1 }] });
    expect(problems.filter((p) => p.includes("duplicate") || p.includes("≥ min"))).toEqual([]);
  });

  it("reports the problems inside a union branch with their paths, not a bare \"Invalid input\"", () => {
    const problems = problemsOf({ ...base, catalog: { skus: 5, stock: { min: "x", max: 2, avg: 1 } }, orderImport: { poll: "1s", minAge: -5 } });
    expect(at(problems, "catalog.stock.min")).toMatch(/expected number/);
    expect(at(problems, "catalog.stock")).toMatch(/avg/);
    expect(at(problems, "orderImport.minAge")).toMatch(/not a duration: -5/);
    expect(problems.some((p) => p.includes("Invalid input") && !p.includes("expected"))).toBe(false);
    expect(problemsOf({ ...base, orderImport: "pull" })).toEqual(['orderImport: use "push", or { poll: <interval>, minAge: <duration> }']);
    expect(problemsOf({ ...base, catalog: { skus: 5, stock: "lots" } })).toEqual(["catalog.stock: a whole number ≥ 0, or { min, max }"]);
  });

  it("still reports a non-object scenario plainly", () => {
    expect(problemsOf("just text")).toEqual(["(root): Invalid input: expected object, received string"]);
  });
});

describe("demand curve windows", () => {
  it("rejects a window that starts at or after the end, or lasts 0s, with path and reason", () => {
    const problems = problemsOf({
      ...base,
      demand: {
        ordersPerDay: 1000,
        curve: [
          { start: "1h", duration: "10m", multiplier: 2 },
          { start: "2h", duration: "10m", multiplier: 2 },
          { start: "10m", duration: "0s", multiplier: 2 },
          { start: "20m", duration: "10m", multiplier: 2 },
        ],
      },
    });
    expect(at(problems, "demand.curve.0.start")).toMatch(/1h is at or after the scenario's end \(duration 1h\)/);
    expect(at(problems, "demand.curve.1.start")).toMatch(/at or after the scenario's end/);
    expect(at(problems, "demand.curve.2.duration")).toMatch(/must be > 0/);
    expect(problems).toHaveLength(3);
  });

  it("clips a window that runs past the end at the end", () => {
    const loaded = validateScenario({ ...base, demand: { ordersPerDay: 1000, curve: [{ start: "50m", duration: "1h", multiplier: 3 }] } }, "t");
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(rateSegments(loaded.scenario)).toEqual([
      { startMs: 0, endMs: 3_000_000, multiplier: 1 },
      { startMs: 3_000_000, endMs: 3_600_000, multiplier: 3 },
    ]);
  });
});

describe("restocks and fault windows that would never apply", () => {
  it("rejects a restock at or after the end and one of more SKUs than the catalogue, with path and reason", () => {
    const problems = problemsOf({
      ...base,
      duration: "3h",
      catalog: { skus: 30, stock: 10 },
      demand: { ordersPerDay: 1000, restocks: [{ at: "10h", quantity: 5 }, { at: "1h", quantity: 5, skus: 999 }, { at: "3h", quantity: 5, skus: 30 }, { at: "2h59m", quantity: 5, skus: 10 }] },
    });
    expect(at(problems, "demand.restocks.0.at")).toBe("demand.restocks.0.at: 10h is at or after the scenario's end (duration 3h): the restock would never apply");
    expect(at(problems, "demand.restocks.1.skus")).toBe("demand.restocks.1.skus: 999 SKUs, but the catalogue has 30 (catalog.skus): use at most 30, or leave skus out to restock every SKU");
    expect(at(problems, "demand.restocks.2.at")).toMatch(/3h is at or after the scenario's end/);
    expect(problems).toHaveLength(3);
  });

  it("rejects an outage or throttle storm that starts at or after the end", () => {
    const faults = { outages: [{ start: "2h", duration: "10m" }, { start: "10m", duration: "10m" }], throttleStorms: [{ start: "1h", duration: "5m", factor: 0.5 }] };
    const problems = problemsOf({ ...base, channels: [{ id: "a", kind: "amazon", share: 1, profile: { faults } }] });
    expect(at(problems, "channels.0.profile.faults.outages.0.start")).toMatch(/2h is at or after the scenario's end \(duration 1h\): the outage would never apply/);
    expect(at(problems, "channels.0.profile.faults.throttleStorms.0.start")).toMatch(/the throttle storm would never apply/);
    expect(problems).toHaveLength(2);
  });

  it("lists these with the other problems of the file, and keeps the built-ins valid", () => {
    const problems = problemsOf({ ...base, duration: "-3h", catalog: { skus: 5, stock: 10 }, demand: { ordersPerDay: 1000, restocks: [{ at: "10m", quantity: 1, skus: 6 }] } });
    expect(at(problems, "duration")).toBeDefined();
    expect(at(problems, "demand.restocks.0.skus")).toMatch(/the catalogue has 5/);
    for (const [name, scenario] of Object.entries(BUILTIN_SCENARIOS)) expect(problemsOf(scenario), name).toEqual([]);
  });
});

describe("extension fields (top-level x-* keys, as in docker-compose)", () => {
  it("ignores them in YAML, where they hold anchors merged into channels with <<: *anchor", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-schema-"));
    const file = join(dir, "anchors.yaml");
    writeFileSync(
      file,
      [
        "x-defaults:",
        "  slow-marketplace: &slow",
        "    kind: ebay",
        "    share: 2",
        "    profile: { clientTimeoutMs: 30000, revisionsPerListingPerDay: 100 }",
        "x-note: tuned for the 2026 sale",
        "name: anchors",
        "duration: 1h",
        "catalog: { skus: 5, stock: 10 }",
        "channels:",
        "  - <<: *slow",
        "    id: ebay-de",
        "  - <<: *slow",
        "    id: ebay-uk",
        "    share: 1", // an explicit key wins over the merged one
        "demand: { ordersPerDay: 1000 }",
      ].join("\n"),
    );
    const loaded = loadScenario(file);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(loaded.scenario.channels).toEqual([
      { id: "ebay-de", kind: "ebay", share: 2, profile: { clientTimeoutMs: 30_000, revisionsPerListingPerDay: 100 } },
      { id: "ebay-uk", kind: "ebay", share: 1, profile: { clientTimeoutMs: 30_000, revisionsPerListingPerDay: 100 } },
    ]);
    // Ignored: not in the scenario that runs (and is printed back).
    expect(Object.keys(loaded.scenario).filter((key) => key.startsWith("x-"))).toEqual([]);
  });

  it("ignores them in JSON too, and only at the top level: elsewhere, and without the x- prefix, a key is still unknown", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-schema-"));
    const file = join(dir, "notes.json");
    writeFileSync(file, JSON.stringify({ ...base, "x-owner": "ops", "x-": 1 }));
    expect(loadScenario(file)).toMatchObject({ ok: true, scenario: { name: "t" } });
    const problems = problemsOf({ ...base, "x-defaults": { anything: true }, defaults: {}, "X-upper": 1, channels: [{ id: "a", kind: "amazon", share: 1, "x-note": "n" }], catalog: { skus: 5, stock: 10, "x-note": "n" } });
    expect([...problems].sort()).toEqual([
      '(root): Unrecognized keys: "defaults", "X-upper" (a top-level key is ignored only when it starts with x-, e.g. x-defaults for YAML anchors)',
      'catalog: Unrecognized key: "x-note"',
      'channels.0: Unrecognized key: "x-note"',
    ]);
  });
});

describe("seed", () => {
  it("accepts any whole number up to 2^53 − 1 (what the PRNG replays exactly) and names the limit otherwise", () => {
    expect(validateScenario({ ...base, seed: 1234567890123456 }, "t").ok).toBe(true);
    expect(validateScenario({ ...base, seed: MAX_SEED }, "t").ok).toBe(true);
    expect(MAX_SEED).toBe(Number.MAX_SAFE_INTEGER);
    for (const seed of [MAX_SEED + 1, 2 ** 60, -1, 1.5, "7"]) {
      expect(problemsOf({ ...base, seed }), String(seed)).toEqual([`seed: must be a whole number from 0 to 9007199254740991 (2^53 − 1)`]);
    }
  });
});

describe("a file that parsed but did not validate", () => {
  it("keeps its parsed value (the CLI checks its thresholds beside the schema's problems) and says why a file cannot be read in words", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-schema-"));
    const file = join(dir, "t.yaml");
    writeFileSync(file, ["name: t", "duration: -3h", "thresholds: ['foo:count==0']"].join("\n"));
    const loaded = loadScenario(file);
    expect(loaded).toMatchObject({ ok: false, value: { thresholds: ["foo:count==0"] } });
    expect(loadScenario(join(dir, "missing.yaml"))).toMatchObject({ ok: false, problems: [`cannot read ${join(dir, "missing.yaml")}: no such file (ENOENT)`] });
    expect(loadScenario(`${dir}/`)).toMatchObject({ ok: false, problems: [expect.stringMatching(/is a directory, not a file \(EISDIR\)$/)] });
    expect(describeReadError(Object.assign(new Error("x"), { code: "EACCES" }))).toBe("permission denied (EACCES)");
  });
});

describe("sizes the simulator must hold in memory", () => {
  it("refuses channels × catalog.skus above 2,000,000 listings (40 × 1,000,000 died of heap OOM minutes in), and keeps black-friday-40 valid", () => {
    const channels = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, kind: "amazon" as const, share: 1 }));
    expect(at(problemsOf({ ...base, catalog: { skus: 1_000_000, stock: 10 }, channels: channels(40) }), "catalog.skus")).toBe(
      "catalog.skus: channels × catalog.skus = 40,000,000 listings: at most 2,000,000 (the simulator keeps every listing in memory)",
    );
    expect(at(problemsOf({ ...base, catalog: { skus: 50_001, stock: 10 }, channels: channels(40) }), "catalog.skus")).toMatch(/2,000,040 listings: at most 2,000,000/);
    expect(problemsOf({ ...base, catalog: { skus: 50_000, stock: 10 }, channels: channels(40) })).toEqual([]);
    expect(problemsOf({ ...base, catalog: { skus: 1_000_000, stock: 10 }, channels: channels(2) })).toEqual([]);
    // Listed with the file's other problems, even when a channel itself is invalid.
    const mixed = problemsOf({ ...base, catalog: { skus: 1_000_000, stock: 10 }, channels: [...channels(3), { id: "Bad!", kind: "amazon", share: 1 }] });
    expect(at(mixed, "catalog.skus")).toMatch(/4,000,000 listings/);
    expect(at(mixed, "channels.3.id")).toBeDefined();
    for (const [name, scenario] of Object.entries(BUILTIN_SCENARIOS)) expect(problemsOf(scenario), name).toEqual([]);
  });

  it("caps every distribution's milliseconds at 366d, the longest duration a scenario accepts, each by path", () => {
    const year = 366 * 86_400_000;
    const problems = problemsOf({
      ...base,
      channels: [
        {
          id: "a",
          kind: "amazon",
          share: 1,
          profile: {
            apiLatency: { kind: "constant", ms: 1e300 },
            visibilityDelay: { kind: "uniform", minMs: 0, maxMs: year + 1 },
            notifications: { delay: { kind: "lognormal", medianMs: 100, p99Ms: 1e20, maxMs: 1e20 } },
          },
        },
      ],
      feed: { delay: { kind: "exponential", meanMs: 1e16 } },
      engine: { storeLatency: { kind: "constant", ms: year + 1 } },
    });
    for (const path of [
      "channels.0.profile.apiLatency.ms",
      "channels.0.profile.visibilityDelay.maxMs",
      "channels.0.profile.notifications.delay.p99Ms",
      "channels.0.profile.notifications.delay.maxMs",
      "feed.delay.meanMs",
      "engine.storeLatency.ms",
    ]) {
      expect(at(problems, path), `${path} in\n${problems.join("\n")}`).toBe(`${path}: must be at most 31622400000 ms (366d), the longest duration a scenario accepts`);
    }
    expect(problems).toHaveLength(6);
    expect(problemsOf({ ...base, engine: { storeLatency: { kind: "uniform", minMs: year, maxMs: year } } })).toEqual([]);
    expect(problemsOf({ ...base, engine: { storeLatency: { kind: "constant", ms: 3_600_000 } } })).toEqual([]);
  });
});

describe("channel shares", () => {
  it("refuses a share above 1,000,000 (shares are relative weights; two of 1e308 summed to Infinity)", () => {
    const problems = problemsOf({ ...base, channels: [{ id: "a", kind: "amazon", share: 1e308 }, { id: "b", kind: "shopify", share: 1_000_001 }, { id: "c", kind: "ebay", share: 1_000_000 }] });
    expect(at(problems, "channels.0.share")).toMatch(/must be at most 1000000: shares are relative weights/);
    expect(at(problems, "channels.1.share")).toBeDefined();
    expect(problems).toHaveLength(2);
  });
});

describe("strategies are named canonically", () => {
  it("polling:900s, polling:60m and polling: 15m become polling:15m, polling:1h, polling:15m (what the simulator prints for built-ins)", () => {
    const loaded = validateScenario({ ...base, strategies: ["events", "polling:900s", "polling:60m", "polling:1h30m", "polling:1500ms"] }, "t");
    expect(loaded.ok && loaded.scenario.strategies).toEqual(["events", "polling:15m", "polling:1h", "polling:1h30m", "polling:1s500ms"]);
    const spaced = validateScenario({ ...base, strategies: ["polling: 15m"] }, "t");
    expect(spaced.ok && spaced.scenario.strategies).toEqual(["polling:15m"]);
    for (const [name, input] of Object.entries(BUILTIN_SCENARIOS)) {
      const builtin = validateScenario(input, name);
      expect(builtin.ok && builtin.scenario.strategies, name).toEqual(input.strategies);
    }
  });

  it("strategyName is the canonical name, and it parses back to the same strategy", () => {
    expect(strategyName({ kind: "events" })).toBe("events");
    for (const intervalMs of [1000, 1500, 59_999, 60_000, 900_000, 5_400_000, 86_400_000, 90_061_001, 366 * 86_400_000]) {
      const name = strategyName({ kind: "polling", intervalMs });
      expect(parseStrategy(name), name).toEqual({ ok: true, strategy: { kind: "polling", intervalMs } });
    }
    expect(strategyName({ kind: "polling", intervalMs: 900_000 })).toBe("polling:15m");
  });
});

describe("throttle storms need a rate limit to tighten", () => {
  const storm = { throttleStorms: [{ start: "0s", duration: "1h", factor: 0.001 }] };

  it("refuses a storm on a channel without a rate limiter (WooCommerce by default, or rateLimit kind none), with its path and a hint", () => {
    const problems = problemsOf({
      ...base,
      channels: [
        { id: "w", kind: "woocommerce", share: 1, profile: { faults: storm } },
        { id: "a", kind: "amazon", share: 1, profile: { rateLimit: { kind: "none" }, faults: storm } },
        { id: "b", kind: "amazon", share: 1, profile: { faults: storm } },
      ],
    });
    expect(at(problems, "channels.0.profile.faults.throttleStorms")).toBe(
      "channels.0.profile.faults.throttleStorms: a throttle storm slows the marketplace's rate limiter, and a woocommerce channel has no rate limit by default: the storm would change nothing — give the channel a limiter to tighten (profile.rateLimit, e.g. { kind: token-bucket, ratePerSecond: 20, burst: 40 }) or remove the storm",
    );
    expect(at(problems, "channels.1.profile.faults.throttleStorms")).toMatch(/its profile's rateLimit is \{ kind: none \}: the storm would change nothing/);
    expect(problems).toHaveLength(2);
  });

  it("accepts one on a WooCommerce channel given a rate limit, and an empty list anywhere", () => {
    expect(problemsOf({ ...base, channels: [{ id: "w", kind: "woocommerce", share: 1, profile: { rateLimit: { kind: "token-bucket", ratePerSecond: 20, burst: 40 }, faults: storm } }] })).toEqual([]);
    expect(problemsOf({ ...base, channels: [{ id: "w", kind: "woocommerce", share: 1, profile: { faults: { throttleStorms: [] } } }] })).toEqual([]);
  });
});

describe("catalog.price", () => {
  const cost = (input: unknown) => {
    const loaded = validateScenario(input, "t");
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    return loaded.scenario.cost;
  };

  it("is the average order value (× the mean units per order) when cost.averageOrderValue is not given; an explicit one wins", () => {
    expect(cost(base).averageOrderValue).toBe(80);
    expect(cost({ ...base, catalog: { skus: 5, stock: 10, price: 25 } }).averageOrderValue).toBe(25);
    expect(cost({ ...base, catalog: { skus: 5, stock: 10, price: 25 }, demand: { ordersPerDay: 1000, extraUnitsMean: 1 } }).averageOrderValue).toBe(50);
    expect(cost({ ...base, catalog: { skus: 5, stock: 10, price: 25 }, cost: { averageOrderValue: 60 } }).averageOrderValue).toBe(60);
    expect(cost({ ...base, cost: { currency: "USD" } })).toEqual({ currency: "USD", averageOrderValue: 80, marginRate: 0.3, cancellationCost: 15, marketplacePenalty: 10, churnProbability: 0.15, customerLifetimeValue: 250 });
    // Keys in the schema's order (the result document prints them so).
    expect(Object.keys(cost({ ...base, catalog: { skus: 5, stock: 10, price: 25 } }))).toEqual(["currency", "averageOrderValue", "marginRate", "cancellationCost", "marketplacePenalty", "churnProbability", "customerLifetimeValue"]);
  });
});

describe("startAt", () => {
  const startAt = (value: unknown) => {
    const loaded = validateScenario({ ...base, startAt: value }, "t");
    return loaded.ok ? loaded.scenario.startAt : loaded.problems;
  };

  it("accepts an ISO 8601 date and time with Z or a UTC offset and normalises it to UTC", () => {
    expect(startAt("2026-11-27T09:00:00+05:30")).toBe("2026-11-27T03:30:00.000Z");
    expect(startAt("2026-11-27T09:00:00-08:00")).toBe("2026-11-27T17:00:00.000Z");
    expect(startAt("2026-11-27T09:00:00Z")).toBe("2026-11-27T09:00:00.000Z");
    expect(startAt("2026-11-27T09:00:00.250Z")).toBe("2026-11-27T09:00:00.250Z");
    expect(validateScenario(base, "t").ok && (validateScenario(base, "t") as { scenario: { startAt: string } }).scenario.startAt).toBe("2026-11-27T00:00:00.000Z");
  });

  it("refuses a date alone, a time without an offset and anything else, saying what to write", () => {
    expect(startAt("2026-11-27")).toEqual(['startAt: "2026-11-27" is a date without a time: give the time and its UTC offset too (e.g. 2026-11-27T00:00:00Z for midnight UTC, or 2026-11-27T00:00:00+05:30)']);
    expect(startAt("2026-11-27T09:00:00")).toEqual([expect.stringMatching(/^startAt: not an ISO 8601 date and time with Z or a UTC offset: "2026-11-27T09:00:00" — it has no UTC offset: add Z/)]);
    expect(startAt("next friday")).toEqual([expect.stringMatching(/^startAt: not an ISO 8601 date and time with Z or a UTC offset: "next friday" \(e\.g\. 2026-11-27T09:00:00Z/)]);
    expect(startAt(5)).toEqual([expect.stringMatching(/^startAt: an ISO 8601 date and time as text/)]);
  });
});
