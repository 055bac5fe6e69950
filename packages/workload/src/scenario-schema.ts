// The scenario file format (JSON or YAML), validated with zod. Every problem is reported at once with
// its path; unknown keys are errors (a typo like `ordersPerDya` must not silently become a default),
// except top-level `x-*` extension fields, which are ignored (see `withoutExtensionFields`).
// Durations are strings ("15m", "1h30m") or milliseconds. Easy to get wrong: defaults live here and
// only here, so a scenario printed back (`--json`) says exactly what ran. Also easy to get wrong:
// zod skips a refinement once any field under it failed, so every check that compares fields is
// registered with `when: always` and reads the fields it needs through `valid()` (each re-checked with
// its own schema) — one run lists every problem, cross-field ones included. And nothing that passes
// may crash or stall the simulator: intervals it divides by or loops on are bounded below, sizes it
// holds and waits it sits through are bounded above.

import { MAX_QUANTITY, formatDuration, parseDuration, type Distribution } from "@synclag/core";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { z } from "zod";
import { expectedArrivals, rateSegments } from "./arrivals.js";
import { currencyCode } from "./currency.js";
import { parseStrategy, strategyName } from "./strategy.js";

/** Longest duration accepted anywhere (the simulator keeps per-minute series over the whole run). */
const MAX_DURATION_MS = 366 * 86_400_000;
/** Most orders a scenario may expect: black-friday-40 is 1,000,000 and takes minutes per strategy. */
export const MAX_EXPECTED_ORDERS = 10_000_000;
/** Highest arrival rate (orders/day, curve included): beyond it arrival gaps vanish below float precision. */
const MAX_ORDERS_PER_DAY = 1_000_000_000;
/**
 * Most listings (channels × catalog.skus) a scenario may have. The simulator keeps every (channel, SKU)
 * listing in memory, about 50 KB per 1,000 of them at peak (measured: 40 × 100,000 = 4,000,000 listings
 * peaked at 2.0 GB, and 40 × 1,000,000 died of a V8 heap OOM minutes into the run). 40 × 50,000 =
 * 2,000,000 peaked at 1.1 GB resident and runs with the heap capped at 1 GB (events and polling:15m;
 * not at 600 MB): Node's default heap limit is about a quarter of the machine's memory, up to 4 GB, so
 * this runs with margin on any machine of 8 GB or more. black-friday-40 is 40 × 5,000 = 200,000.
 */
export const MAX_LISTINGS = 2_000_000;
/** Largest channel share: shares are relative weights, and 500 of these still sum to a finite number. */
const MAX_SHARE = 1_000_000;
/**
 * Longest client timeout (profile `clientTimeoutMs`): 10 minutes. The marketplaces' clients give up
 * after 10–15 s; a call waiting longer holds one of the channel's call slots, and the updates in it,
 * that long whenever a reply is lost, and a real run's mock marketplace holds a lost reply for the
 * timeout + 5 s on a Node timer, which fires at once beyond 2^31 − 1 ms (24.8 days).
 */
const MAX_CLIENT_TIMEOUT_MS = 600_000;
/**
 * Highest per-listing revision cap (profile `revisionsPerListingPerDay`): real caps are hundreds a day
 * (eBay: 250); a million is over 11 a second, all day, for one listing — in effect no cap. Leaving the
 * field out keeps the marketplace profile's own (eBay's 250; none for the others).
 */
const MAX_REVISIONS_PER_LISTING_PER_DAY = 1_000_000;
/**
 * Largest seed, in a scenario file and in every --seed flag: 2^53 − 1. The PRNG is seeded from the
 * seed's decimal text, so any integer a JavaScript number holds exactly replays to the byte; above it
 * two different seeds could read as one.
 */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** The limit as the messages name it. */
export const SEED_LIMIT_TEXT = `a whole number from 0 to ${MAX_SEED} (2^53 − 1)`;

const duration = z.unknown().transform((value, ctx): number => {
  const ms = typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : typeof value === "string" ? parseDuration(value) : undefined;
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `not a duration: ${JSON.stringify(value)} (use e.g. 250ms, 30s, 15m, 1h30m, or whole milliseconds)` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is too long: at most ${formatDuration(MAX_DURATION_MS)}` });
    return z.NEVER;
  }
  return ms;
});

/** A duration with a lower bound; `why` says what goes wrong below it. */
const durationAtLeast = (minMs: number, why: string) => duration.refine((ms) => ms >= minMs, `must be ≥ ${formatDuration(minMs)}: ${why}`);

/** Refinements that must run even when other fields failed (see the header). */
const always = { when: () => true };

/** `value` if it passes `schema` on its own, else undefined (cross-field checks skip fields already reported). */
function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** `object[key]` of a partially parsed value that may be anything. */
function field(object: unknown, key: string): unknown {
  return typeof object === "object" && object !== null && !Array.isArray(object) ? (object as Record<string, unknown>)[key] : undefined;
}

const nonNegative = z.number().nonnegative();

/**
 * `schema` (a number with its bounds) that must also be a whole number. Easy to get wrong: never zod's
 * `.int()` — it reports with `continue: false`, which stops every `always` refinement above it, so one
 * `catalog.skus: 30.5` hid a duplicate channel id and a restock after the end. A refinement does not
 * stop anything, and coming after the bounds it does not stop them either (-1.5 is told both).
 */
const whole = (schema: z.ZodNumber) => schema.refine((n) => Number.isInteger(n), "must be a whole number");
/** A whole number ≥ 0 (a policy's units, a retry count). */
const wholeNonNegative = whole(z.number().nonnegative());
/** A whole number ≥ 1 (a batch size, a restock's units or SKUs). */
const wholePositive = whole(z.number().positive());

/**
 * A distribution's milliseconds: at most the longest duration a scenario accepts. A latency or delay
 * beyond it could never land within any run (before this bound, `ms: 1e300` was accepted).
 */
const distributionMessage = `must be at most ${MAX_DURATION_MS} ms (${formatDuration(MAX_DURATION_MS)}), the longest duration a scenario accepts`;
const distributionMs = z.number().nonnegative().max(MAX_DURATION_MS, distributionMessage);
const positiveDistributionMs = z.number().positive().max(MAX_DURATION_MS, distributionMessage);

const distribution = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("constant"), ms: distributionMs }),
    z.strictObject({ kind: z.literal("uniform"), minMs: distributionMs, maxMs: distributionMs }),
    z.strictObject({ kind: z.literal("exponential"), meanMs: positiveDistributionMs }),
    z.strictObject({ kind: z.literal("lognormal"), medianMs: positiveDistributionMs, p99Ms: positiveDistributionMs, maxMs: positiveDistributionMs.optional() }),
  ])
  .superRefine((d: unknown, ctx) => {
    const kind = field(d, "kind");
    if (kind === "uniform") {
      const min = valid(distributionMs, field(d, "minMs"));
      const max = valid(distributionMs, field(d, "maxMs"));
      if (min !== undefined && max !== undefined && max < min) ctx.addIssue({ code: "custom", path: ["maxMs"], message: `must be ≥ minMs (${min})` });
    }
    if (kind === "lognormal") {
      const median = valid(positiveDistributionMs, field(d, "medianMs"));
      const p99 = valid(positiveDistributionMs, field(d, "p99Ms"));
      if (median !== undefined && p99 !== undefined && p99 < median) ctx.addIssue({ code: "custom", path: ["p99Ms"], message: `must be ≥ medianMs (${median})` });
    }
  }, always)
  .transform((d) => d as Distribution);

const policy = z.strictObject({
  bufferUnits: wholeNonNegative.optional(),
  allocationPercent: z.number().min(0).max(100).multipleOf(0.01).optional(),
  maxListed: wholeNonNegative.optional(),
  zeroBelow: wholeNonNegative.optional(),
});

/** A bucket that never holds a whole call admits nothing: every push would wait forever. */
const bucketSize = z.number().min(1, "must be ≥ 1: a bucket that never holds one whole call admits nothing");

const limiter = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("none") }),
    z.strictObject({ kind: z.literal("token-bucket"), ratePerSecond: z.number().positive(), burst: bucketSize }),
    z.strictObject({ kind: z.literal("leaky-bucket"), capacity: bucketSize, leakPerSecond: z.number().positive() }),
    z.strictObject({ kind: z.literal("cost-points"), maximumAvailable: z.number().positive(), restoreRatePerSecond: z.number().positive(), costPerCall: nonNegative, costPerItem: nonNegative }),
  ])
  .superRefine((l: unknown, ctx) => {
    if (field(l, "kind") !== "cost-points") return;
    const maximum = valid(z.number().positive(), field(l, "maximumAvailable"));
    const perCall = valid(nonNegative, field(l, "costPerCall"));
    const perItem = valid(nonNegative, field(l, "costPerItem"));
    if (maximum !== undefined && perCall !== undefined && perItem !== undefined && perCall + perItem > maximum) {
      ctx.addIssue({ code: "custom", path: ["maximumAvailable"], message: `must be ≥ costPerCall + costPerItem (${perCall + perItem}): otherwise not even a one-item call is ever admitted` });
    }
  }, always);

const rate = z.number().min(0).max(1);

/**
 * A whole number from 1 to `max`; above it, only `message` is said (zod's `.int()` would add its own
 * "Too big" about 2^53 for 1e300). Not `abort: true`: an aborted check stops every `always` refinement above it.
 */
const wholeNumberUpTo = (max: number, message: string) => whole(z.number().positive().max(max, message));

const profileOverrides = z.strictObject({
  maxBatchSize: wholePositive.optional(),
  rateLimit: limiter.optional(),
  clientRateLimit: z.strictObject({ ratePerSecond: z.number().positive(), burst: bucketSize }).optional(),
  apiLatency: distribution.optional(),
  visibilityDelay: distribution.optional(),
  clientTimeoutMs: wholeNumberUpTo(MAX_CLIENT_TIMEOUT_MS, `must be at most ${MAX_CLIENT_TIMEOUT_MS} ms (${formatDuration(MAX_CLIENT_TIMEOUT_MS)}): marketplace clients give up after 10–15 s, and a longer timeout holds a call slot, and the updates in it, that long whenever a reply is lost`).optional(),
  revisionsPerListingPerDay: wholeNumberUpTo(MAX_REVISIONS_PER_LISTING_PER_DAY, `must be at most ${MAX_REVISIONS_PER_LISTING_PER_DAY.toLocaleString("en-US")} (over 11 a second, all day, for one listing: in effect no cap); real caps are hundreds a day, and leaving the field out keeps the marketplace's own (eBay: 250; the others: none)`).optional(),
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
      retries: whole(z.number().nonnegative().max(100)).optional(),
      retrySpan: duration.optional(),
      headOfLineBlocking: z.boolean().optional(),
    })
    .optional(),
});

const channelId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, - and _ (max 64)");

const marketplaceKind = z.enum(MARKETPLACE_KINDS as unknown as [MarketplaceKind, ...MarketplaceKind[]]);

const channel = z.strictObject({
  id: channelId,
  kind: marketplaceKind,
  /** Share of demand arriving at this channel (a relative weight, normalised over all channels). */
  share: z.number().positive().max(MAX_SHARE, `must be at most ${MAX_SHARE}: shares are relative weights, normalised over all channels (e.g. 0.4 and 0.6, or 40 and 60)`),
  policy: policy.optional(),
  profile: profileOverrides.optional(),
});

/**
 * Checked by the same parser the simulator uses, so a strategy that validates always runs. Named
 * canonically ("polling:900s" → "polling:15m", so a result document names it as the CLI flags would)
 * only once the whole scenario passed: the duplicate check must quote each strategy as written.
 */
const strategyText = z.string().superRefine((text, ctx) => {
  const parsed = parseStrategy(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

/** The canonical name of a strategy that passed `strategyText`. */
function canonicalStrategy(text: string): string {
  const parsed = parseStrategy(text);
  if (!parsed.ok) throw new Error(`strategy ${JSON.stringify(text)} passed validation but does not parse: ${parsed.problem}`);
  return strategyName(parsed.strategy);
}

const scenarioDuration = duration.refine((ms) => ms > 0, "must be > 0");

/** The default `startAt`: fixed, so results never depend on the day they ran. */
const DEFAULT_START_AT = "2026-11-27T00:00:00.000Z";
const isoDateTime = z.iso.datetime({ offset: true });
const START_AT_EXAMPLES = "e.g. 2026-11-27T09:00:00Z, or 2026-11-27T09:00:00+05:30 for 09:00 in India";

/**
 * Virtual wall-clock start: an ISO 8601 date and time with `Z` or a UTC offset (`+05:30`), normalised
 * to UTC (`2026-11-27T03:30:00.000Z`) so the result document names one instant one way. A date alone
 * or a time without an offset is refused: whose midnight, whose 09:00?
 */
const startAt = z.string({ error: `an ISO 8601 date and time as text (${START_AT_EXAMPLES})` }).transform((text, ctx): string => {
  const problem = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return problem(`${JSON.stringify(text)} is a date without a time: give the time and its UTC offset too (e.g. ${text}T00:00:00Z for midnight UTC, or ${text}T00:00:00+05:30)`);
  const ms = Date.parse(text);
  if (!isoDateTime.safeParse(text).success || !Number.isFinite(ms)) {
    const local = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text) ? " — it has no UTC offset: add Z (UTC) or the offset, e.g. +05:30" : "";
    return problem(`not an ISO 8601 date and time with Z or a UTC offset: ${JSON.stringify(text)}${local} (${START_AT_EXAMPLES})`);
  }
  return new Date(ms).toISOString();
});

/** Value of one order (cost of a lost sale, before margin) when neither cost.averageOrderValue nor catalog.price is given. */
const DEFAULT_AVERAGE_ORDER_VALUE = 80;

/** catalog.skus on its own; with the channels, see MAX_LISTINGS. */
const skuCountSchema = whole(z.number().positive().max(1_000_000));

/** The store's limit per SKU (MAX_QUANTITY): a larger stock would be refused by it, leaving the SKU unstocked. */
const stockRange = whole(z.number().nonnegative().max(MAX_QUANTITY));

/**
 * A rate-multiplier window. It must start before the scenario ends and last > 0 (checked here and
 * below); one that runs past the end is clipped at the end (see `rateSegments`), not refused —
 * "the sale lasts until we stop" is a fair thing to write.
 */
const curveWindow = z.strictObject({
  start: duration,
  duration: duration.refine((ms) => ms > 0, "must be > 0: a window of no time changes nothing (remove it, or give it a length)"),
  multiplier: z.number().nonnegative(),
  label: z.string().optional(),
});
const curve = z.array(curveWindow);

/** A top-level key the schema does not know: zod's own words, and how to keep one anyway (see `withoutExtensionFields`). */
const unknownKeysHint = {
  error: (issue: z.core.$ZodRawIssue) =>
    issue.code === "unrecognized_keys"
      ? `Unrecognized key${issue.keys.length === 1 ? "" : "s"}: ${issue.keys.map((key) => JSON.stringify(key)).join(", ")} (a top-level key is ignored only when it starts with x-, e.g. x-defaults for YAML anchors)`
      : undefined,
};

const scenarioObject = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(""),
    seed: z
      .number({ error: `must be ${SEED_LIMIT_TEXT}` })
      .refine((n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED, `must be ${SEED_LIMIT_TEXT}`)
      .default(1),
    duration: scenarioDuration,
    /** Virtual wall-clock start (ISO 8601 with Z or an offset; normalised to UTC). Fixed by default so results never depend on the day they ran. */
    startAt: startAt.default(DEFAULT_START_AT),
    catalog: z.strictObject({
      skus: skuCountSchema,
      /** Initial stock per SKU: a number, or a uniform integer range. */
      stock: z.union([stockRange, z.strictObject({ min: stockRange, max: stockRange })], { error: "a whole number ≥ 0, or { min, max }" }),
      /** Unit price of every SKU: values a lost sale when `cost.averageOrderValue` is not given (see the final transform). */
      price: z.number().positive().optional(),
      /** Zipf exponent of SKU popularity (0 = uniform). */
      popularity: z.number().min(0).max(5).default(1),
    }),
    channels: z.array(channel).min(1).max(500),
    demand: z.strictObject({
      ordersPerDay: z.number().positive(),
      /** Rate multipliers over time (flash sale: 10× for 1 h). Later windows win where they overlap. */
      curve: curve.default([]),
      /** Units per order line: 1 + a geometric tail with this mean of extras. */
      extraUnitsMean: z.number().min(0).max(10).default(0),
      /**
       * Share of arrivals that are shopping agents, drawn from their own PRNG stream (no other arrival
       * moves). In the simulator only a label: an agent is turned away by a listing showing too little
       * exactly like a buyer, and `orders.lostSalesByAgents` counts the sales agents were turned away
       * from. In a real run an agent reads the storefront's availability first (one more storefront
       * request) and leaves without checking out when it shows less than the quantity wanted.
       */
      agentShare: rate.default(0),
      restocks: z.array(z.strictObject({ at: duration, quantity: whole(z.number().positive().max(MAX_QUANTITY)), skus: wholePositive.optional() })).default([]),
    }),
    strategies: z.array(strategyText).min(1).default(["events", "polling:15m"]),
    /**
     * How the polling baseline gets orders (DESIGN, "The polling baseline, modelled fairly"). push: as
     * notifications arrive (the most favourable case for polling); poll: its connector imports them at
     * every multiple of `poll` from the start, once at least `minAge` old. The event-driven engine is
     * not affected: it always takes each notification as it arrives.
     */
    orderImport: z
      .union(
        [
          z.literal("push"),
          z.strictObject({
            poll: durationAtLeast(1000, "orders are imported once per poll (0 would never import them, and sub-second polling is push in all but cost)"),
            minAge: duration.default(0),
          }),
        ],
        { error: 'use "push", or { poll: <interval>, minAge: <duration> }' },
      )
      .default("push"),
    feed: z
      .strictObject({
        delay: distribution.default({ kind: "constant", ms: 2 }),
        /** Share of deliveries whose ack is lost: redelivered after ackWait. */
        lostAckRate: rate.default(0),
        ackWait: duration.refine((ms) => ms > 0, "must be > 0: a delivery whose ack is lost is redelivered after ackWait").default(30_000),
        duplicateRate: rate.default(0),
      })
      .default({ delay: { kind: "constant", ms: 2 }, lostAckRate: 0, ackWait: 30_000, duplicateRate: 0 }),
    engine: z
      .strictObject({
        /** 0 = no reconciler; otherwise ≥ 1 s (each pass reads every listing of every channel). */
        reconcileInterval: duration
          .refine((ms) => ms === 0 || ms >= 1000, "must be 0 (no reconciliation) or ≥ 1s: each pass reads every listing of every channel, so shorter intervals stall the run")
          .default(900_000),
        storeLatency: distribution.default({ kind: "constant", ms: 1 }),
        maxAttempts: whole(z.number().positive().max(100)).default(8),
      })
      .default({ reconcileInterval: 900_000, storeLatency: { kind: "constant", ms: 1 }, maxAttempts: 8 }),
    cost: z
      .strictObject({
        /**
         * An active ISO 4217 code (ISO_4217_CURRENCY_CODES, a fixed list: not the runtime's), in any case
         * and kept in capitals ("eur" runs as "EUR"): the report formats every amount in it.
         */
        currency: z
          .string()
          .refine((code) => currencyCode(code) !== undefined, {
            error: (issue) => (typeof issue.input === "string" && /^[A-Za-z]{3}$/.test(issue.input) ? `${JSON.stringify(issue.input)} is not an ISO 4217 currency code (e.g. EUR, USD, GBP, INR)` : "an ISO 4217 code like EUR"),
          })
          .transform((code) => currencyCode(code) as string)
          .default("EUR"),
        /** Default: catalog.price × the mean units per order (1 + demand.extraUnitsMean) when a price is given, else 80. */
        averageOrderValue: z.number().nonnegative().optional(),
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
      .default({ currency: "EUR", marginRate: 0.3, cancellationCost: 15, marketplacePenalty: 10, churnProbability: 0.15, customerLifetimeValue: 250 }),
    /** Time after the last arrival for the system to settle before checkers run. */
    convergenceBudget: duration.refine((ms) => ms > 0, "must be > 0: updates still in flight when the arrivals stop need time to land before the checkers run").default(3_600_000),
    thresholds: z.array(z.string()).default([]),
  }, unknownKeysHint)
  .superRefine((scenario: unknown, ctx) => {
    // Runs on the partially parsed value even when fields failed; each field read here is re-checked.
    const channels = field(scenario, "channels");
    if (Array.isArray(channels)) {
      const firstIndex = new Map<string, number>();
      channels.forEach((c: unknown, index) => {
        const id = valid(channelId, field(c, "id"));
        if (id === undefined) return;
        const first = firstIndex.get(id);
        if (first === undefined) firstIndex.set(id, index);
        else ctx.addIssue({ code: "custom", path: ["channels", index, "id"], message: `duplicate channel id ${JSON.stringify(id)} (also channels.${first}.id)` });
      });
    }

    // A strategy listed twice (also as two spellings of one interval, polling:900s and polling:15m) is
    // not a problem here: `compare` runs it once and says so, as it does for --polling 15m,900s.

    // Size: the simulator keeps every (channel, SKU) listing in memory (see MAX_LISTINGS).
    const skuCount = valid(skuCountSchema, field(field(scenario, "catalog"), "skus"));
    if (skuCount !== undefined && Array.isArray(channels) && channels.length * skuCount > MAX_LISTINGS) {
      const listings = channels.length * skuCount;
      ctx.addIssue({ code: "custom", path: ["catalog", "skus"], message: `channels × catalog.skus = ${listings.toLocaleString("en-US")} listings: at most ${MAX_LISTINGS.toLocaleString("en-US")} (the simulator keeps every listing in memory)` });
    }

    const stock = field(field(scenario, "catalog"), "stock");
    const min = valid(stockRange, field(stock, "min"));
    const max = valid(stockRange, field(stock, "max"));
    if (min !== undefined && max !== undefined && max < min) ctx.addIssue({ code: "custom", path: ["catalog", "stock", "max"], message: `must be ≥ min (${min})` });

    const durationMs = valid(scenarioDuration, field(scenario, "duration"));
    const demand = field(scenario, "demand");
    const windows = field(demand, "curve") ?? [];
    if (durationMs !== undefined && Array.isArray(windows)) {
      windows.forEach((w: unknown, index) => {
        const start = valid(duration, field(w, "start"));
        if (start !== undefined && start >= durationMs) {
          ctx.addIssue({ code: "custom", path: ["demand", "curve", index, "start"], message: `${formatDuration(start)} is at or after the scenario's end (duration ${formatDuration(durationMs)}): the window would never apply` });
        }
      });
    }

    // Restocks and fault windows at or after the end never happen: refused like a curve window.
    const restocks = field(demand, "restocks");
    const skus = valid(wholePositive, field(field(scenario, "catalog"), "skus"));
    let restocked = 0;
    if (Array.isArray(restocks)) {
      restocks.forEach((r: unknown, index) => {
        const at = valid(duration, field(r, "at"));
        if (durationMs !== undefined && at !== undefined && at >= durationMs) {
          ctx.addIssue({ code: "custom", path: ["demand", "restocks", index, "at"], message: `${formatDuration(at)} is at or after the scenario's end (duration ${formatDuration(durationMs)}): the restock would never apply` });
        }
        const quantity = valid(wholePositive, field(r, "quantity"));
        if (quantity !== undefined) restocked += quantity;
        const count = valid(wholePositive, field(r, "skus"));
        if (skus !== undefined && count !== undefined && count > skus) {
          ctx.addIssue({ code: "custom", path: ["demand", "restocks", index, "skus"], message: `${count} SKUs, but the catalogue has ${skus} (catalog.skus): use at most ${skus}, or leave skus out to restock every SKU` });
        }
      });
    }
    const largestStock = typeof stock === "number" ? valid(stockRange, stock) : max;
    if (largestStock !== undefined && restocked > 0 && largestStock + restocked > MAX_QUANTITY) {
      ctx.addIssue({ code: "custom", path: ["demand", "restocks"], message: `the largest stock (${largestStock}) plus every restock (${restocked}) exceeds ${MAX_QUANTITY}, the most one SKU can hold` });
    }
    if (durationMs !== undefined && Array.isArray(channels)) {
      channels.forEach((c: unknown, index) => {
        const faults = field(field(c, "profile"), "faults");
        for (const kind of ["outages", "throttleStorms"] as const) {
          const windows = field(faults, kind);
          if (!Array.isArray(windows)) continue;
          windows.forEach((w: unknown, windowIndex) => {
            const start = valid(duration, field(w, "start"));
            if (start !== undefined && start >= durationMs) {
              ctx.addIssue({ code: "custom", path: ["channels", index, "profile", "faults", kind, windowIndex, "start"], message: `${formatDuration(start)} is at or after the scenario's end (duration ${formatDuration(durationMs)}): the ${kind === "outages" ? "outage" : "throttle storm"} would never apply` });
            }
          });
        }
      });
    }
    // A throttle storm slows the marketplace's rate limiter; a channel without one (WooCommerce by
    // default, or a `rateLimit: { kind: none }` override) has nothing to slow: the storm would change nothing.
    if (Array.isArray(channels)) {
      channels.forEach((c: unknown, index) => {
        const storms = field(field(field(c, "profile"), "faults"), "throttleStorms");
        if (!Array.isArray(storms) || storms.length === 0) return;
        const override = field(field(c, "profile"), "rateLimit");
        const kind = valid(marketplaceKind, field(c, "kind"));
        const limiterKind = override === undefined ? (kind === undefined ? undefined : DEFAULT_PROFILES[kind].rateLimit.kind) : valid(limiter, override)?.kind;
        if (limiterKind !== "none") return;
        const why = override === undefined ? `a ${kind ?? ""} channel has no rate limit by default` : "its profile's rateLimit is { kind: none }";
        ctx.addIssue({
          code: "custom",
          path: ["channels", index, "profile", "faults", "throttleStorms"],
          message: `a throttle storm slows the marketplace's rate limiter, and ${why}: the storm would change nothing — give the channel a limiter to tighten (profile.rateLimit, e.g. { kind: token-bucket, ratePerSecond: 20, burst: 40 }) or remove the storm`,
        });
      });
    }

    // Scale: a rate so high that arrival gaps vanish below float precision never finishes, and tens of
    // millions of orders take hours per strategy.
    const ordersPerDay = valid(z.number().positive(), field(demand, "ordersPerDay"));
    const windowsOk = valid(curve, windows);
    if (durationMs !== undefined && ordersPerDay !== undefined && windowsOk !== undefined) {
      const shape = { duration: durationMs, demand: { ordersPerDay, curve: windowsOk } };
      const peak = Math.max(...rateSegments(shape).map((s) => s.multiplier)) * ordersPerDay;
      if (peak > MAX_ORDERS_PER_DAY) {
        ctx.addIssue({ code: "custom", path: ["demand", "ordersPerDay"], message: `peak rate ${peak.toExponential(2)} orders/day (ordersPerDay × curve multiplier) is over ${MAX_ORDERS_PER_DAY.toExponential(0)}: arrivals that close together cannot be simulated` });
      } else {
        const expected = expectedArrivals(shape);
        if (expected > MAX_EXPECTED_ORDERS) {
          ctx.addIssue({ code: "custom", path: ["demand", "ordersPerDay"], message: `${Math.round(expected).toLocaleString("en-US")} orders expected (ordersPerDay × curve × duration): at most ${MAX_EXPECTED_ORDERS.toLocaleString("en-US")}, or a run takes hours per strategy — shorten the scenario or lower the rate` });
        }
      }
    }
  }, always)
  .transform((scenario) => {
    const { currency, marginRate, cancellationCost, marketplacePenalty, churnProbability, customerLifetimeValue } = scenario.cost;
    const price = scenario.catalog.price;
    const averageOrderValue = scenario.cost.averageOrderValue ?? (price === undefined ? DEFAULT_AVERAGE_ORDER_VALUE : price * (1 + scenario.demand.extraUnitsMean));
    // Keys in the schema's order: a scenario printed back, and the result document's cost block, read the same as before.
    const cost = { currency, averageOrderValue, marginRate, cancellationCost, marketplacePenalty, churnProbability, customerLifetimeValue };
    return { ...scenario, cost, strategies: scenario.strategies.map(canonicalStrategy) };
  });

/**
 * Top-level keys starting with `x-` are extension fields, as in docker-compose: dropped before
 * validation, so a file can define YAML anchors there (`x-defaults: &channel {…}`, merged into channels
 * with `<<: *channel`) or carry notes for other tools. Anywhere else an unknown key is still an error.
 */
function withoutExtensionFields(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith("x-")));
}

export const scenarioSchema = z.preprocess(withoutExtensionFields, scenarioObject);

export type ScenarioInput = z.input<typeof scenarioObject>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ChannelSpec = Scenario["channels"][number];
