// `replicas`: each engine process keeps its own token bucket and revision counters per channel, so with
// several processes on one seller account each gets its share of the channel's budget. And
// `reconcileFirstRoundAfter`: the reconciler's first round soon after the start. Both validated with the
// other settings (exit 2, every problem listed, named by what the user typed).
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { file, problemsOf } from "./config-test-support.js";
import { channelBudgetPerReplica, loadServiceConfig, reconcileFirstRoundAfterMs, redactConfig, serviceConfigSchema } from "./config.js";

const RANGE = "must be a whole number of engine processes from 1 to 100";

describe("replicas", () => {
  it("defaults to 1; read from the file, SYNCLAG_REPLICAS and --replicas (flags win), and printed in the start-up configuration", () => {
    expect(loadServiceConfig({}, {}).replicas).toBe(1);
    const path = file("engine.yaml", "replicas: 3\n");
    expect(loadServiceConfig({ config: path }, {}).replicas).toBe(3);
    expect(loadServiceConfig({ config: path }, { SYNCLAG_REPLICAS: "4" }).replicas).toBe(4);
    expect(loadServiceConfig({ config: path, replicas: "2" }, { SYNCLAG_REPLICAS: "4" }).replicas).toBe(2);
    expect(redactConfig(loadServiceConfig({ replicas: "2" }, {}))).toMatchObject({ replicas: 2 });
  });

  it("refuses 0, negative, decimal, huge and non-numeric counts with one clear problem each, wherever they come from", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_REPLICAS: "0" }))).toEqual([`SYNCLAG_REPLICAS (replicas): ${RANGE}, got 0`]);
    expect(problemsOf(() => loadServiceConfig({ replicas: "-2" }, {}))).toEqual([`--replicas (replicas): ${RANGE}, got -2`]);
    expect(problemsOf(() => loadServiceConfig({ replicas: "2.5" }, {}))).toEqual([`--replicas (replicas): ${RANGE}, got 2.5`]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_REPLICAS: "two" }))).toEqual([`SYNCLAG_REPLICAS (replicas): ${RANGE}, got "two"`]);
    const huge = problemsOf(() => loadServiceConfig({}, { SYNCLAG_REPLICAS: "1000000" }));
    expect(huge).toEqual([expect.stringContaining(`SYNCLAG_REPLICAS (replicas): ${RANGE}, got 1000000 (beyond that each one's share`)]);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.yaml", "replicas: 1.5\n") }, {}))).toEqual([`replicas: ${RANGE}, got 1.5`]);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.json", '{"replicas": "2"}') }, {}))).toEqual([`replicas: ${RANGE}, got "2"`]);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.json", '{"replicas": 1e9}') }, {}))).toEqual([expect.stringContaining(`replicas: ${RANGE}, got 1000000000`)]);
    // Listed with the others, not instead of them.
    expect(problemsOf(() => loadServiceConfig({ replicas: "0", port: "-1" }, {}))).toHaveLength(2);
    expect(loadServiceConfig({ replicas: "100" }, {}).replicas).toBe(100);
  });
});

describe("channelBudgetPerReplica: each channel's budget divided among the replicas", () => {
  it("one replica keeps the whole budget, configured or the marketplace profile's", () => {
    expect(channelBudgetPerReplica({ kind: "amazon" }, 1)).toMatchObject({ rateLimit: DEFAULT_PROFILES.amazon.clientRateLimit, revisionsPerSkuPerDay: 0, roundedUp: [] });
    expect(channelBudgetPerReplica({ kind: "ebay" }, 1)).toMatchObject({ rateLimit: { ratePerSecond: 20, burst: 40 }, revisionsPerSkuPerDay: 250, roundedUp: [] });
    expect(channelBudgetPerReplica({ kind: "shopify", rateLimit: { ratePerSecond: 4, burst: 8 }, revisionsPerSkuPerDay: 50 }, 1)).toMatchObject({ rateLimit: { ratePerSecond: 4, burst: 8 }, revisionsPerSkuPerDay: 50 });
  });

  it("divides the rate exactly and the burst and the revisions rounded down, so the replicas together stay within them", () => {
    expect(channelBudgetPerReplica({ kind: "amazon" }, 2)).toMatchObject({ rateLimit: { ratePerSecond: 2.5, burst: 2 }, revisionsPerSkuPerDay: 0, whole: { rateLimit: { ratePerSecond: 5, burst: 5 } }, roundedUp: [] });
    expect(channelBudgetPerReplica({ kind: "ebay" }, 3)).toMatchObject({ rateLimit: { ratePerSecond: 20 / 3, burst: 13 }, revisionsPerSkuPerDay: 83, roundedUp: [] });
    expect(channelBudgetPerReplica({ kind: "shopify", rateLimit: { ratePerSecond: 8, burst: 6 }, revisionsPerSkuPerDay: 30 }, 2)).toMatchObject({ rateLimit: { ratePerSecond: 4, burst: 3 }, revisionsPerSkuPerDay: 15 });
    for (const kind of ["amazon", "shopify", "woocommerce", "flipkart", "ebay"] as const) {
      for (const replicas of [1, 2, 3, 4, 5]) {
        const b = channelBudgetPerReplica({ kind }, replicas);
        expect(b.rateLimit.ratePerSecond * replicas).toBeCloseTo(b.whole.rateLimit.ratePerSecond, 9);
        expect(b.rateLimit.burst * replicas).toBeLessThanOrEqual(b.whole.rateLimit.burst);
        expect(b.revisionsPerSkuPerDay * replicas).toBeLessThanOrEqual(b.whole.revisionsPerSkuPerDay);
      }
    }
  });

  it("never below 1 (a replica could not call or revise at all), and says where that takes the replicas above the limit; 0 revisions (no budget) stays 0", () => {
    expect(channelBudgetPerReplica({ kind: "amazon" }, 8)).toMatchObject({ rateLimit: { ratePerSecond: 0.625, burst: 1 }, roundedUp: ["burst"] });
    expect(channelBudgetPerReplica({ kind: "ebay", revisionsPerSkuPerDay: 30 }, 40)).toMatchObject({ rateLimit: { burst: 1 }, revisionsPerSkuPerDay: 1, roundedUp: ["revisionsPerSkuPerDay"] });
    expect(channelBudgetPerReplica({ kind: "ebay", revisionsPerSkuPerDay: 0 }, 4)).toMatchObject({ revisionsPerSkuPerDay: 0, roundedUp: [] });
  });
});

describe("reconcileFirstRoundAfter", () => {
  it("defaults to the interval, 30 s at most; 0 runs the first round at the start", () => {
    expect(reconcileFirstRoundAfterMs(loadServiceConfig({}, {}))).toBe(30_000);
    expect(reconcileFirstRoundAfterMs(loadServiceConfig({ reconcileInterval: "10s" }, {}))).toBe(10_000);
    expect(reconcileFirstRoundAfterMs(loadServiceConfig({}, { SYNCLAG_RECONCILE_FIRST_ROUND_AFTER: "2m" }))).toBe(120_000);
    expect(reconcileFirstRoundAfterMs(loadServiceConfig({ config: file("engine.yaml", "reconcileFirstRoundAfter: 0\n") }, {}))).toBe(0);
    expect(reconcileFirstRoundAfterMs(serviceConfigSchema.parse({ reconcileInterval: 60_000 }))).toBe(30_000);
  });

  it("refuses a delay without a unit, or longer than the interval (unless the reconciler is off)", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_RECONCILE_FIRST_ROUND_AFTER: "30" }))).toEqual(['SYNCLAG_RECONCILE_FIRST_ROUND_AFTER (reconcileFirstRoundAfter): "30" has no unit: write e.g. 30s or 30ms']);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.yaml", "reconcileFirstRoundAfter: 30000\n") }, {}))).toEqual(['reconcileFirstRoundAfter: 30000 has no unit: write it with one, e.g. "30000ms" or "30000s"']);
    expect(problemsOf(() => loadServiceConfig({ reconcileInterval: "1m" }, { SYNCLAG_RECONCILE_FIRST_ROUND_AFTER: "2m" }))).toEqual([
      "SYNCLAG_RECONCILE_FIRST_ROUND_AFTER (reconcileFirstRoundAfter): 2m is longer than reconcileInterval (1m): the first round after the start would come after the second — shorten it, or leave it out (default: the interval, 30s at most)",
    ]);
    // Listed with the other problems.
    expect(problemsOf(() => loadServiceConfig({ reconcileInterval: "1m", replicas: "0" }, { SYNCLAG_RECONCILE_FIRST_ROUND_AFTER: "2m" }))).toHaveLength(2);
    expect(problemsOf(() => loadServiceConfig({ reconcileInterval: "0" }, { SYNCLAG_RECONCILE_FIRST_ROUND_AFTER: "2m" }))).toEqual([]);
  });
});
