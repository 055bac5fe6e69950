// What `runReal` refuses or changes before it starts anything, so a real run never quietly runs a
// different experiment than the one asked for: a scenario whose order import it cannot replay
// (orderImport: { poll }), a rate beyond the scenario's limits, and the convergence timeout that
// real marketplace time needs (Amazon's profiled visibility delay is 180 s at p99).

import { parseDuration } from "@synclag/core";
import { loadScenario, validateScenario, type Scenario } from "@synclag/workload";
import { describe, expect, it } from "vitest";
import { ServiceError, createLogger, runReal } from "../src/index.js";
import { defaultConvergenceTimeoutMs, reproduceRunCommand, scenarioAtRate, simulatorOnlyNotes } from "../src/real-run.js";

function builtin(name: string): Scenario {
  const loaded = loadScenario(name);
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.scenario;
}

function small(extra: Record<string, unknown> = {}): Scenario {
  const loaded = validateScenario({ name: "small", duration: "1h", catalog: { skus: 2, stock: 5 }, channels: [{ id: "shopify", kind: "shopify", share: 1 }], demand: { ordersPerDay: 100 }, ...extra }, "test");
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.scenario;
}

/** Servers nobody listens on: a run that got as far as using them would fail with an environment error. */
const nowhere = { natsUrl: "nats://127.0.0.1:1", redisUrl: "redis://127.0.0.1:1" } as const;

async function refusal(run: Promise<unknown>): Promise<ServiceError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe("runReal refuses what a real run cannot replay, before it starts anything", () => {
  it("refuses orderImport: { poll } naming the key (config error), instead of importing by push", async () => {
    const error = await refusal(runReal({ scenario: small({ orderImport: { poll: "5m" } }), strategy: "events", seed: 1, durationMs: 1_000, logger: createLogger("silent"), ...nowhere }));
    expect(error.reason).toBe("config");
    expect(error.message).toContain("orderImport: { poll: 5m } is not supported by a real run");
  });

  it("refuses a rate beyond the scenario's limits (config error), as for the scenario's own rate", async () => {
    const error = await refusal(runReal({ scenario: builtin("flash-sale"), strategy: "events", seed: 1, durationMs: 30_000, ratePerSecond: 1_000_000, logger: createLogger("silent"), ...nowhere }));
    expect(error.reason).toBe("config");
    expect(error.message).toMatch(/^--rate 1000000\/s is beyond the scenario's limits \(flash-sale compressed into 30s, its ordersPerDay becomes 2\.40e\+8\): demand\.ordersPerDay: peak rate/);
  });

  it("applies a rate within the limits: the base rate in real orders per second, compressed into the duration", () => {
    const rated = scenarioAtRate(builtin("flash-sale"), 50, 30_000);
    if (!rated.ok) throw new Error(rated.problems.join("; "));
    // 50/s for 30 s of wall clock = 1,500 orders over the scenario's 3 h at multiplier 1 → 12,000 a day.
    expect(rated.scenario.demand.ordersPerDay).toBeCloseTo(12_000);
  });
});

describe("simulatorOnlyNotes", () => {
  it("names the feed and engine settings a scenario sets (the real run does not apply them), and nothing for the defaults", () => {
    expect(simulatorOnlyNotes(builtin("flash-sale"))).toEqual([]);
    const notes = simulatorOnlyNotes(small({ feed: { lostAckRate: 0.01, duplicateRate: 0.02 }, engine: { storeLatency: { kind: "constant", ms: 5 } } }));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^scenario small: feed\.lostAckRate, feed\.duplicateRate are simulator-only .*not applied/);
    expect(notes[1]).toMatch(/^scenario small: engine\.storeLatency is simulator-only .*not applied/);
  });
});

describe("the convergence timeout under real marketplace time", () => {
  it("covers the slowest channel's profiled visibility and notification tails by default (60 s under scaled time)", () => {
    const flashSale = builtin("flash-sale");
    expect(defaultConvergenceTimeoutMs(flashSale, "scaled")).toBe(60_000);
    // Amazon: visibility delay p99 180 s (its p99.9 ≈ 370 s) plus notification delay p99 30 s, on top of 60 s.
    const real = defaultConvergenceTimeoutMs(flashSale, "real");
    expect(real).toBeGreaterThanOrEqual(60_000 + 180_000 + 30_000);
    expect(real).toBeLessThanOrEqual(15 * 60_000);
    // A scenario without Amazon's slow visibility needs less.
    expect(defaultConvergenceTimeoutMs(small(), "real")).toBeLessThan(real);
  });

  it("keeps a given --convergence-timeout in the reproduce line under real marketplace time, even 60s", () => {
    const line = reproduceRunCommand({ scenario: "flash-sale", strategy: "events", seed: 1, durationMs: 30_000, marketplaceTime: "real", convergenceTimeoutMs: 60_000 });
    expect(parseDuration(/--convergence-timeout (\S+)/.exec(line)?.[1] ?? "")).toBe(60_000);
    expect(reproduceRunCommand({ scenario: "flash-sale", strategy: "events", seed: 1, durationMs: 30_000, marketplaceTime: "real" })).not.toContain("--convergence-timeout");
  });
});
