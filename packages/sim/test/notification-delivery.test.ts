// Flipkart's head-of-line blocking as the HTTP sender (mock-marketplaces' webhook-sender.ts) does it:
// a job starts at its planned time or when the job before it is done, whichever is later; its retries
// are timed from that start; a lost job holds the channel until its last failed attempt; a duplicate
// holds back nothing. The expected times are what the real sender does in fake time with the same
// inputs (10 s delay, 1 retry over 10 min; orders at 0 / 3 / 6 s).
import { DEFAULT_PROFILES, MarketplaceModel, type MarketplaceProfile } from "@synclag/marketplaces";
import { Prng } from "@synclag/core";
import { describe, expect, it } from "vitest";
import { notificationTimes, simulateStrategy, type NotificationPlan } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

const notifications: MarketplaceProfile["notifications"] = { delay: { kind: "constant", ms: 10_000 }, duplicateRate: 0, attemptFailureRate: 0, retries: 1, retrySpanMs: 600_000, headOfLineBlocking: true, deliveryTimeoutMs: 10_000 };
const model = (overrides: Partial<MarketplaceProfile["notifications"]> = {}) =>
  new MarketplaceModel({ channel: "fk", profile: { ...DEFAULT_PROFILES.flipkart, notifications: { ...notifications, ...overrides } }, random: new Prng(1), startMs: 0 });

/** Runs orders confirmed at `confirmedAt` through one channel's marker, as the simulator does. */
function run(m: MarketplaceModel, jobs: ReadonlyArray<{ confirmedAtMs: number; plan: NotificationPlan }>) {
  let blocked: number | undefined;
  return jobs.map(({ confirmedAtMs, plan }) => {
    const times = notificationTimes(m, plan, confirmedAtMs, blocked);
    blocked = times.blockedUntilMs;
    return times.deliveriesMs;
  });
}

const ok = (duplicateDelayMs?: number): NotificationPlan => ({ firstOffsetMs: 10_000, attempts: 1, delivered: true, duplicateDelayMs });

describe("notification delivery times (head-of-line blocking as the HTTP sender)", () => {
  it("duplicates do not hold back the next job", () => {
    expect(run(model(), [{ confirmedAtMs: 0, plan: ok(10_000) }, { confirmedAtMs: 3_000, plan: ok(10_000) }, { confirmedAtMs: 6_000, plan: ok(10_000) }])).toEqual([
      [10_000, 20_000],
      [13_000, 23_000],
      [16_000, 26_000],
    ]);
  });

  it("a lost job holds the channel until its last failed attempt; the next one's retries count from its actual start", () => {
    const lost: NotificationPlan = { firstOffsetMs: 10_000, attempts: 2, delivered: false, duplicateDelayMs: undefined };
    const retried: NotificationPlan = { firstOffsetMs: 10_000, attempts: 2, delivered: true, duplicateDelayMs: undefined };
    expect(run(model(), [{ confirmedAtMs: 0, plan: lost }, { confirmedAtMs: 3_000, plan: retried }, { confirmedAtMs: 6_000, plan: ok() }])).toEqual([
      [], // attempts at 10 s and 610 s, both failed
      [610_000 + 600_000], // first attempt when o1 gave up (610 s), its retry 10 min after that
      [1_210_000],
    ]);
  });

  it("without head-of-line blocking every job keeps its own schedule", () => {
    const m = model({ headOfLineBlocking: false });
    const lost: NotificationPlan = { firstOffsetMs: 10_000, attempts: 2, delivered: false, duplicateDelayMs: undefined };
    expect(run(m, [{ confirmedAtMs: 0, plan: lost }, { confirmedAtMs: 3_000, plan: ok(10_000) }])).toEqual([[], [13_000, 23_000]]);
  });

  it("end to end: Flipkart duplicates add no lag to the orders behind them", async () => {
    const s = scenario({
      name: "hol-duplicates",
      duration: "1h",
      catalog: { skus: 50, stock: 1000, popularity: 0 },
      channels: [
        { ...instantChannel("fk", { notifications: { delay: { kind: "constant", ms: 10_000 }, duplicateRate: 1, attemptFailureRate: 0, retries: 0, headOfLineBlocking: true } }), kind: "flipkart" },
        { ...instantChannel("other"), share: 0.001 },
      ],
      demand: { ordersPerDay: 86_400 / 3, agentShare: 0 }, // an order every ~3 s, nearly all on fk
      strategies: ["events"],
    });
    const r = await simulateStrategy(s, "events", 1);
    expect(r.ok).toBe(true);
    expect(r.orders.duplicateDeliveries).toBeGreaterThan(1000);
    // Every fk order reaches "other" its 10 s notification delay (+ the store's round trips) after the sale.
    expect(r.channels.other?.syncLagMs.max).toBeLessThan(10_100);
  });
});
