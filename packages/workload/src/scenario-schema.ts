// The scenario file format (JSON or YAML), validated with zod. Every problem is reported at once with
// its path; unknown keys are errors (a typo like `ordersPerDya` must not silently become a default).
// Durations are strings ("15m", "1h30m") or milliseconds. Easy to get wrong: defaults live here and
// only here, so a scenario printed back (`--json`) says exactly what ran.

import { parseDuration, type Distribution } from "@synclag/core";
import { MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { z } from "zod";

const duration = z.unknown().transform((value, ctx): number => {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  const ms = typeof value === "string" ? parseDuration(value) : undefined;
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `not a duration: ${JSON.stringify(value)} (use e.g. 250ms, 30s, 15m, 1h30m, or whole milliseconds)` });
    return z.NEVER;
  }
  return ms;
});

const distribution = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("constant"), ms: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal("uniform"), minMs: z.number().nonnegative(), maxMs: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal("exponential"), meanMs: z.number().positive() }),
    z.strictObject({ kind: z.literal("lognormal"), medianMs: z.number().positive(), p99Ms: z.number().positive(), maxMs: z.number().positive().optional() }),
  ])
  .superRefine((d, ctx) => {
    if (d.kind === "uniform" && d.maxMs < d.minMs) ctx.addIssue({ code: "custom", path: ["maxMs"], message: "must be ≥ minMs" });
    if (d.kind === "lognormal" && d.p99Ms < d.medianMs) ctx.addIssue({ code: "custom", path: ["p99Ms"], message: "must be ≥ medianMs" });
  })
  .transform((d) => d as Distribution);

const policy = z.strictObject({
  bufferUnits: z.number().int().nonnegative().optional(),
  allocationPercent: z.number().min(0).max(100).optional(),
  maxListed: z.number().int().nonnegative().optional(),
  zeroBelow: z.number().int().nonnegative().optional(),
});

const limiter = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("none") }),
  z.strictObject({ kind: z.literal("token-bucket"), ratePerSecond: z.number().positive(), burst: z.number().positive() }),
  z.strictObject({ kind: z.literal("leaky-bucket"), capacity: z.number().positive(), leakPerSecond: z.number().positive() }),
  z.strictObject({ kind: z.literal("cost-points"), maximumAvailable: z.number().positive(), restoreRatePerSecond: z.number().positive(), costPerCall: z.number().nonnegative(), costPerItem: z.number().nonnegative() }),
]);

const rate = z.number().min(0).max(1);

const profileOverrides = z.strictObject({
  maxBatchSize: z.number().int().positive().optional(),
  rateLimit: limiter.optional(),
  clientRateLimit: z.strictObject({ ratePerSecond: z.number().positive(), burst: z.number().positive() }).optional(),
  apiLatency: distribution.optional(),
  visibilityDelay: distribution.optional(),
  clientTimeoutMs: z.number().int().positive().optional(),
  revisionsPerListingPerDay: z.number().int().positive().optional(),
  /** Engine side: how long an update waits for others to fill a batch call ("250ms"; "0" = send at once). */
  batchLinger: duration.optional(),
  faults: z
    .strictObject({
      serverErrorRate: rate.optional(),
      timeoutAfterApplyRate: rate.optional(),
      itemRejectRate: rate.optional(),
      outages: z.array(z.strictObject({ start: duration, duration })).optional(),
      throttleStorms: z.array(z.strictObject({ start: duration, duration, factor: z.number().positive().max(1) })).optional(),
    })
    .optional(),
  notifications: z
    .strictObject({
      delay: distribution.optional(),
      duplicateRate: rate.optional(),
      attemptFailureRate: rate.optional(),
      retries: z.number().int().nonnegative().max(100).optional(),
      retrySpan: duration.optional(),
      headOfLineBlocking: z.boolean().optional(),
    })
    .optional(),
});

const channel = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, - and _ (max 64)"),
  kind: z.enum(MARKETPLACE_KINDS as unknown as [MarketplaceKind, ...MarketplaceKind[]]),
  /** Share of demand arriving at this channel (normalised over all channels). */
  share: z.number().positive(),
  policy: policy.optional(),
  profile: profileOverrides.optional(),
});

const strategyText = z.string().regex(/^(events|polling:\S+)$/, 'use "events" or "polling:<interval>", e.g. polling:15m');

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(""),
    seed: z.number().int().nonnegative().default(1),
    duration: duration.refine((ms) => ms > 0, "must be > 0"),
    /** Virtual wall-clock start (ISO). Fixed by default so results never depend on the day they ran. */
    startAt: z.iso.datetime().default("2026-11-27T00:00:00.000Z"),
    catalog: z.strictObject({
      skus: z.number().int().positive().max(1_000_000),
      /** Initial stock per SKU: a number, or a uniform integer range. */
      stock: z.union([z.number().int().nonnegative(), z.strictObject({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() })]),
      price: z.number().positive().optional(),
      /** Zipf exponent of SKU popularity (0 = uniform). */
      popularity: z.number().min(0).max(5).default(1),
    }),
    channels: z.array(channel).min(1).max(500),
    demand: z.strictObject({
      ordersPerDay: z.number().positive(),
      /** Rate multipliers over time (flash sale: 10× for 1 h). Later windows win where they overlap. */
      curve: z.array(z.strictObject({ start: duration, duration, multiplier: z.number().nonnegative(), label: z.string().optional() })).default([]),
      /** Units per order line: 1 + a geometric tail with this mean of extras. */
      extraUnitsMean: z.number().min(0).max(10).default(0),
      /** Share of arrivals that are shopping agents (read availability, leave on 0). */
      agentShare: rate.default(0),
      restocks: z.array(z.strictObject({ at: duration, quantity: z.number().int().positive(), skus: z.number().int().positive().optional() })).default([]),
    }),
    strategies: z.array(strategyText).min(1).default(["events", "polling:15m"]),
    /** push: orders reach the engine as notifications arrive; poll: they are imported every interval. */
    orderImport: z.union([z.literal("push"), z.strictObject({ poll: duration, minAge: duration.default(0) })]).default("push"),
    feed: z
      .strictObject({
        delay: distribution.default({ kind: "constant", ms: 2 }),
        /** Share of deliveries whose ack is lost: redelivered after ackWait. */
        lostAckRate: rate.default(0),
        ackWait: duration.default(30_000),
        duplicateRate: rate.default(0),
      })
      .default({ delay: { kind: "constant", ms: 2 }, lostAckRate: 0, ackWait: 30_000, duplicateRate: 0 }),
    engine: z
      .strictObject({
        reconcileInterval: duration.default(900_000),
        storeLatency: distribution.default({ kind: "constant", ms: 1 }),
        maxAttempts: z.number().int().positive().max(100).default(8),
      })
      .default({ reconcileInterval: 900_000, storeLatency: { kind: "constant", ms: 1 }, maxAttempts: 8 }),
    cost: z
      .strictObject({
        currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code like EUR").default("EUR"),
        averageOrderValue: z.number().nonnegative().default(80),
        /** Gross margin as a fraction of the order value. */
        marginRate: rate.default(0.3),
        /** Handling cost of one cancelled (oversold) order. */
        cancellationCost: z.number().nonnegative().default(15),
        /** Marketplace penalty / fee per cancellation. */
        marketplacePenalty: z.number().nonnegative().default(10),
        /** Probability a buyer whose order was cancelled never returns. */
        churnProbability: rate.default(0.15),
        customerLifetimeValue: z.number().nonnegative().default(250),
      })
      .default({ currency: "EUR", averageOrderValue: 80, marginRate: 0.3, cancellationCost: 15, marketplacePenalty: 10, churnProbability: 0.15, customerLifetimeValue: 250 }),
    /** Time after the last arrival for the system to settle before checkers run. */
    convergenceBudget: duration.default(3_600_000),
    thresholds: z.array(z.string()).default([]),
  })
  .superRefine((scenario, ctx) => {
    const ids = new Set<string>();
    scenario.channels.forEach((c, index) => {
      if (ids.has(c.id)) ctx.addIssue({ code: "custom", path: ["channels", index, "id"], message: `duplicate channel id ${JSON.stringify(c.id)}` });
      ids.add(c.id);
    });
    const stock = scenario.catalog.stock;
    if (typeof stock === "object" && stock.max < stock.min) ctx.addIssue({ code: "custom", path: ["catalog", "stock", "max"], message: "must be ≥ min" });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ChannelSpec = Scenario["channels"][number];
