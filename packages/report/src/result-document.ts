// Reads a result document (`synclag compare --json`, `synclag run --json`) from text and checks every
// field the gate and the report read, listing every problem at once with its path — so a truncated or
// hand-edited file fails with "strategies[1].histograms.syncLagMs: …" instead of a TypeError deep
// inside a chart, or a page with "—" where a figure should be. A field the renderers read and this
// does not check is a bug (result-document.test.ts deletes each one in turn). Easy to get wrong: the encoded histograms must be decodable too;
// checking that they are strings is not enough. And a well-typed figure can still contradict another:
// a count must be a whole number ≥ 0 (an oversold of -3 passes `oversells:count<=0`), a rate lie in
// 0–1, a lag be ≥ 0, and each strategy's cost be the cost model (`scenario.cost`) applied to its counts,
// in the scenario's currency, to the cent — as the simulator and `synclag run` both write it
// (`computeCost`) — or the headline would say €999 where section 5 adds up to €423.

import { Histogram } from "@synclag/metrics";
import type { ResultDocument, StrategyResult } from "@synclag/sim";
import { computeCost, isCurrencyCode } from "@synclag/workload";

/** The schema version this code reads; typed against the sim's so a bump fails to compile here. */
const SUPPORTED_SCHEMA_VERSION: ResultDocument["schemaVersion"] = 1;

export type ParseResultDocumentResult = { ok: true; doc: ResultDocument } | { ok: false; problems: string[] };

/** The cost model's amounts (≥ 0) and rates (0–1), as `scenario.cost` records them. */
const COST_AMOUNTS = ["averageOrderValue", "cancellationCost", "marketplacePenalty", "customerLifetimeValue"] as const;
const COST_RATES = ["marginRate", "churnProbability"] as const;
const SUMMARY_FIELDS = ["count", "p50", "p90", "p99", "p999", "max"] as const;
/** A lag summary: a sample count and milliseconds, none of them negative. */
const SUMMARY_CHECKS = (doc: Record<string, unknown>, path: string, at: At) => {
  requireCount(doc, `${path}.count`, at);
  for (const field of SUMMARY_FIELDS.slice(1)) requireNonNegative(doc, `${path}.${field}`, at);
};
const COST_PARTS = ["oversells", "lostSales", "churn", "total"] as const;
/** A channel's own cancellation figures beside its `oversold`, added later (optional for older documents). */
const CHANNEL_CANCELLATION_FIELDS = ["accepted", "cancellationRate", "cancellationRateLimit"] as const;

type At = (path: string, problem: string) => void;

/** Parses JSON text (`source` names the file in messages) and validates it as a result document. */
export function parseResultDocument(text: string, source: string): ParseResultDocumentResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`${source} is not valid JSON: ${(error as Error).message}`] };
  }
  return validateResultDocument(value, source);
}

/** Validates an already-parsed value. */
export function validateResultDocument(value: unknown, source: string): ParseResultDocumentResult {
  const problems: string[] = [];
  const at = (path: string, problem: string) => problems.push(`${source}: ${bracketIndexes(path)}: ${problem}`);
  if (!isObject(value)) return { ok: false, problems: [`${source}: not a synclag result document (expected a JSON object)`] };
  if (value.schemaVersion !== SUPPORTED_SCHEMA_VERSION) {
    const found = value.schemaVersion === undefined ? "no schemaVersion" : `schemaVersion ${JSON.stringify(value.schemaVersion)}`;
    return { ok: false, problems: [`${source}: not a synclag result document this version reads (${found}; expected ${SUPPORTED_SCHEMA_VERSION}) — write one with \`synclag compare --json FILE\``] };
  }
  const mode = get(value, "generator.mode");
  if (mode !== "simulated" && mode !== "real") at("generator.mode", `must be "simulated" or "real", got ${JSON.stringify(mode)}`);
  requireNumber(value, "seed", at);
  requireString(value, "reproduce", at);
  requireType(value, "ok", "boolean", at);

  if (!isObject(value.scenario)) at("scenario", `must be an object, got ${describe(value.scenario)}`);
  else validateScenarioPart(value, at);

  const strategies = get(value, "strategies");
  if (!Array.isArray(strategies) || strategies.length === 0) at("strategies", "must be a non-empty array");
  else {
    const firstIndex = new Map<string, number>();
    strategies.forEach((_, i) => {
      validateStrategy(value, `strategies.${i}`, at);
      // The gate picks a strategy by name and the report draws one card each: a name twice is ambiguous.
      const name = get(value, `strategies.${i}.strategy`);
      if (typeof name !== "string") return;
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, i);
      else at(`strategies.${i}.strategy`, `${JSON.stringify(name)} is already strategies[${first}]: each strategy once`);
    });
  }

  return problems.length === 0 ? { ok: true, doc: value as unknown as ResultDocument } : { ok: false, problems };
}

function validateScenarioPart(value: Record<string, unknown>, at: (path: string, problem: string) => void): void {
  requireString(value, "scenario.name", at);
  requirePositive(value, "scenario.durationMs", at);
  // The report's lede ("at 1,500 orders a day") and assumptions ("Products in the sale").
  requireNumber(value, "scenario.ordersPerDay", at);
  requireNumber(value, "scenario.skus", at);
  const channels = get(value, "scenario.channels");
  if (!Array.isArray(channels) || channels.length === 0) at("scenario.channels", "must be a non-empty array");
  else channels.forEach((_, i) => (requireString(value, `scenario.channels.${i}.id`, at), requirePositive(value, `scenario.channels.${i}.share`, at)));
  // The headline's and every amount's: an active ISO 4217 code as synclag writes it (capitals), from the
  // list the scenario schema and `demo --currency` use — not "" or "Euros, roughly".
  const currency = get(value, "scenario.cost.currency");
  if (!isCurrencyCode(currency)) at("scenario.cost.currency", `must be an active ISO 4217 currency code in capitals, like "EUR", got ${describe(currency)}`);
  for (const field of COST_AMOUNTS) requireNonNegative(value, `scenario.cost.${field}`, at);
  for (const field of COST_RATES) requireRate(value, `scenario.cost.${field}`, at);
  const curve = get(value, "scenario.curve");
  if (!Array.isArray(curve)) at("scenario.curve", "must be an array");
  else
    curve.forEach((_, i) => {
      for (const f of ["startMs", "durationMs", "multiplier"]) requireNumber(value, `scenario.curve.${i}.${f}`, at);
      optional(value, `scenario.curve.${i}.label`, () => requireString(value, `scenario.curve.${i}.label`, at));
    });
}

/** The strategy named `name` in the document, or a problem listing the ones it has. */
export function pickStrategy(doc: ResultDocument, name: string): { ok: true; strategy: StrategyResult } | { ok: false; problem: string } {
  const strategy = doc.strategies.find((s) => s.strategy === name);
  if (strategy) return { ok: true, strategy };
  return { ok: false, problem: `strategy ${JSON.stringify(name)} is not in the result (it has ${doc.strategies.map((s) => s.strategy).join(", ")}): pick one with --strategy` };
}

function validateStrategy(doc: Record<string, unknown>, base: string, at: (path: string, problem: string) => void): void {
  const strategy = get(doc, base);
  if (!isObject(strategy)) return at(base, `must be an object, got ${describe(strategy)}`);
  requireString(doc, `${base}.strategy`, at);
  requireString(doc, `${base}.orderImport`, at);
  for (const field of ["attempted", "accepted", "oversold", "lostSales", "lostSalesByAgents", "soldOut"]) requireCount(doc, `${base}.orders.${field}`, at);
  requireRate(doc, `${base}.orders.cancellationRate`, at);
  // The rate the cards and the gate show is oversold ÷ accepted (both writers round it to 6 digits).
  const oversold = get(doc, `${base}.orders.oversold`);
  const accepted = get(doc, `${base}.orders.accepted`);
  const cancellationRate = get(doc, `${base}.orders.cancellationRate`);
  // An oversell is an accepted order stock could not fill (the simulator counts it on an accepted
  // order's notification, a real run from the store's audit of notified orders): 11 oversold of 0
  // taken would show a 0 % cancellation rate and pass its gate.
  if (isCount(oversold) && isCount(accepted) && oversold > accepted) at(`${base}.orders.oversold`, `must be at most orders.accepted (${accepted}): an oversold order is an accepted order stock could not fill, got ${oversold}`);
  if (isCount(oversold) && isCount(accepted) && isRate(cancellationRate)) {
    const expected = accepted > 0 ? Math.round((oversold / accepted) * 1e6) / 1e6 : 0;
    if (Math.abs(cancellationRate - expected) > 1e-6) at(`${base}.orders.cancellationRate`, `must be ${expected}, orders.oversold ${oversold} ÷ orders.accepted ${accepted}, got ${cancellationRate}`);
  }
  // A real run's (`synclag run`): the gate fails and the report warns on it, so it must be a count when present.
  optional(doc, `${base}.orders.droppedArrivals`, () => requireCount(doc, `${base}.orders.droppedArrivals`, at));
  for (const lag of ["syncLagMs", "acceptedLagMs"]) {
    SUMMARY_CHECKS(doc, `${base}.${lag}`, at);
    requireHistogram(doc, `${base}.histograms.${lag}`, at);
  }
  // Added later without a schema bump: optional, but readable when present (older documents lack it).
  if (get(doc, `${base}.visibleEverywhereMs`) !== undefined) SUMMARY_CHECKS(doc, `${base}.visibleEverywhereMs`, at);
  if (get(doc, `${base}.histograms.visibleEverywhereMs`) !== undefined) requireHistogram(doc, `${base}.histograms.visibleEverywhereMs`, at);
  if (get(doc, `${base}.orders.notVisibleEverywhere`) !== undefined) requireCount(doc, `${base}.orders.notVisibleEverywhere`, at);
  const drift = readDriftUnrepaired(doc, `${base}.driftUnrepaired`, at);
  requireString(doc, `${base}.cost.currency`, at);
  for (const field of COST_PARTS) requireNumber(doc, `${base}.cost.${field}`, at);
  checkCost(doc, base, at);
  requireType(doc, `${base}.ok`, "boolean", at);
  const checks = get(doc, `${base}.checks`);
  if (!Array.isArray(checks)) at(`${base}.checks`, "must be an array");
  else
    checks.forEach((_, i) => {
      const path = `${base}.checks.${i}`;
      if (!isObject(get(doc, path))) return at(path, `must be an object { name, ok, detail }, got ${describe(get(doc, path))}`);
      requireString(doc, `${path}.name`, at);
      requireType(doc, `${path}.ok`, "boolean", at);
      requireString(doc, `${path}.detail`, at);
    });
  // A polling strategy states its interval and orders per sync window (the report's method and assumptions).
  const polling = get(doc, `${base}.polling`);
  const named = get(doc, `${base}.strategy`);
  if (polling === undefined && typeof named === "string" && named.startsWith("polling:")) at(`${base}.polling`, `must be an object { intervalMs, syncWindowsPerDay, ordersPerWindow } for the polling strategy ${JSON.stringify(named)}, got nothing (missing)`);
  else if (polling !== undefined) {
    if (!isObject(polling)) at(`${base}.polling`, `must be an object, got ${describe(polling)}`);
    else {
      requirePositive(doc, `${base}.polling.intervalMs`, at);
      for (const field of ["syncWindowsPerDay", "ordersPerWindow.mean", "ordersPerWindow.peak"]) requireNumber(doc, `${base}.polling.${field}`, at);
    }
  }
  const channels = get(doc, `${base}.channels`);
  /** Each channel's `driftUnrepaired` (null: absent or unreadable): their sum is the strategy's. */
  const channelDrift: Array<{ listings: number; units: number } | null> = [];
  if (!isObject(channels)) at(`${base}.channels`, "must be an object keyed by channel id");
  else {
    // Every channel of the scenario has its figures (the per-channel table and the gate's channels.<id>).
    const scenarioChannels = get(doc, "scenario.channels");
    if (Array.isArray(scenarioChannels))
      for (const channel of scenarioChannels) {
        const id = isObject(channel) ? channel.id : undefined;
        if (typeof id === "string" && !Object.hasOwn(channels, id)) at(`${base}.channels.${id}`, `must be the figures of channel ${JSON.stringify(id)} (a channel of the scenario), got nothing (missing)`);
      }
    for (const id of Object.keys(channels)) {
      const path = `${base}.channels.${id}`;
      if (!isObject(channels[id])) {
        at(path, `must be an object, got ${describe(channels[id])}`);
        continue;
      }
      for (const field of ["apiCalls", "throttled", "oversold", "lostSales"]) requireCount(doc, `${path}.${field}`, at);
      requireRate(doc, `${path}.staleExposure`, at);
      channelDrift.push(readDriftUnrepaired(doc, `${path}.driftUnrepaired`, at));
      for (const lag of ["syncLagMs", "acceptedLagMs"]) {
        SUMMARY_CHECKS(doc, `${path}.${lag}`, at);
        requireHistogram(doc, `${path}.histograms.${lag}`, at);
      }
    }
    checkChannelCancellation(doc, base, channels, at);
  }
  // The strategy's drift is its channels' added up (the simulator writes both): checked when all are readable.
  if (drift !== null && channelDrift.length > 0 && channelDrift.every((c) => c !== null)) {
    const listings = channelDrift.reduce((sum, c) => sum + (c?.listings ?? 0), 0);
    const units = channelDrift.reduce((sum, c) => sum + (c?.units ?? 0), 0);
    if (listings !== drift.listings || units !== drift.units) at(`${base}.driftUnrepaired`, `must be the sum of its channels' (${listings} listings, ${units} units), got ${drift.listings} listings, ${drift.units} units`);
  }
  // One entry per minute of the run (the simulator and `synclag run` both write them so): a shorter
  // series is a truncated file, and the report would read its missing minutes as "no orders".
  const durationMs = get(doc, "scenario.durationMs");
  const minutes = typeof durationMs === "number" && durationMs > 0 ? Math.max(1, Math.ceil(durationMs / 60_000)) : undefined;
  for (const series of ["accepted", "oversold", "lostSales"]) {
    const list = get(doc, `${base}.perMinute.${series}`);
    const bad = Array.isArray(list) ? list.findIndex((n) => !isCount(n)) : -1;
    if (!Array.isArray(list)) at(`${base}.perMinute.${series}`, "must be an array of whole numbers ≥ 0");
    else if (bad >= 0) at(`${base}.perMinute.${series}`, `must be an array of whole numbers ≥ 0, got ${describe(list[bad])} at [${bad}]`);
    else if (minutes !== undefined && list.length !== minutes) at(`${base}.perMinute.${series}`, `must have one entry per minute of the run (${minutes}), has ${list.length}`);
  }
  // A real run's time-lapse (`synclag run`): the report states it, so it must be readable when present.
  const load = get(doc, `${base}.load`);
  if (load !== undefined) {
    if (!isObject(load)) at(`${base}.load`, `must be an object, got ${describe(load)}`);
    else {
      for (const field of ["timeScale", "durationMs"]) requirePositive(doc, `${base}.load.${field}`, at);
      optional(doc, `${base}.load.planned`, () => requireCount(doc, `${base}.load.planned`, at));
      const marketplaceTime = get(doc, `${base}.load.marketplaceTime`);
      if (marketplaceTime !== undefined && marketplaceTime !== "scaled" && marketplaceTime !== "real") at(`${base}.load.marketplaceTime`, `must be "scaled" or "real", got ${describe(marketplaceTime)}`);
    }
  }
  requireString(doc, `${base}.timeline.sku`, at);
  const truth = get(doc, `${base}.timeline.truth`);
  if (!isSeries(truth)) at(`${base}.timeline.truth`, "must be an array of [ms, quantity] pairs");
  const timelineChannels = get(doc, `${base}.timeline.channels`);
  if (!isObject(timelineChannels)) at(`${base}.timeline.channels`, "must be an object keyed by channel id");
  else for (const [id, series] of Object.entries(timelineChannels)) if (!isSeries(series)) at(`${base}.timeline.channels.${id}`, "must be an array of [ms, quantity] pairs");
}

/**
 * Each channel's own cancellation figures — `accepted`, `cancellationRate` and `cancellationRateLimit`
 * beside its `oversold` — what that marketplace holds the seller to (the gate's
 * `channels.<id>.cancellation_rate`, the report's worst channel). Added without a schema bump: a
 * document written before them has none and is not checked here. Otherwise every channel has them (a
 * channel without would drop out of "the worst channel" unseen), a channel's oversold is at most its
 * accepted, its rate is its oversold ÷ accepted rounded to 6 digits (0 without orders) as
 * `orders.cancellationRate` is, its limit a rate above 0, and — an order belongs to its source
 * channel, in both writers — the channels' accepted and oversold orders add up to the strategy's.
 */
function checkChannelCancellation(doc: Record<string, unknown>, base: string, channels: Record<string, unknown>, at: At): void {
  const ids = Object.keys(channels).filter((id) => isObject(channels[id]));
  const recorded = ids.some((id) => CHANNEL_CANCELLATION_FIELDS.some((field) => get(doc, `${base}.channels.${id}.${field}`) !== undefined));
  if (!recorded) return;
  const everyOrNone = "like the other channels' (a document has every channel's cancellation figures or none)";
  let readable = true;
  let acceptedSum = 0;
  let oversoldSum = 0;
  for (const id of ids) {
    const path = `${base}.channels.${id}`;
    const accepted = get(doc, `${path}.accepted`);
    const oversold = get(doc, `${path}.oversold`);
    const rate = get(doc, `${path}.cancellationRate`);
    const limit = get(doc, `${path}.cancellationRateLimit`);
    if (accepted === undefined) at(`${path}.accepted`, `must be a whole number ≥ 0 ${everyOrNone}, got nothing (missing)`);
    else requireCount(doc, `${path}.accepted`, at);
    if (rate === undefined) at(`${path}.cancellationRate`, `must be a rate between 0 and 1 ${everyOrNone}, got nothing (missing)`);
    else requireRate(doc, `${path}.cancellationRate`, at);
    if (limit !== undefined && !(isRate(limit) && limit > 0)) at(`${path}.cancellationRateLimit`, `must be a rate above 0 and at most 1, got ${describe(limit)}`);
    if (!isCount(accepted) || !isCount(oversold)) {
      readable = false;
      continue;
    }
    acceptedSum += accepted;
    oversoldSum += oversold;
    if (oversold > accepted) at(`${path}.oversold`, `must be at most channels.${id}.accepted (${accepted}): an oversold order is an accepted order stock could not fill, got ${oversold}`);
    else if (isRate(rate)) {
      const expected = accepted > 0 ? Math.round((oversold / accepted) * 1e6) / 1e6 : 0;
      if (Math.abs(rate - expected) > 1e-6) at(`${path}.cancellationRate`, `must be ${expected}, channels.${id}.oversold ${oversold} ÷ channels.${id}.accepted ${accepted}, got ${rate}`);
    }
  }
  if (!readable) return;
  const accepted = get(doc, `${base}.orders.accepted`);
  const oversold = get(doc, `${base}.orders.oversold`);
  if (isCount(accepted) && accepted !== acceptedSum) at(`${base}.orders.accepted`, `must be the sum of its channels' accepted orders (${acceptedSum}), got ${accepted}`);
  if (isCount(oversold) && oversold !== oversoldSum) at(`${base}.orders.oversold`, `must be the sum of its channels' oversold orders (${oversoldSum}), got ${oversold}`);
}

/**
 * A `driftUnrepaired` figure (the simulator's, of a strategy or a channel; real runs and older documents
 * lack it): { listings, units } in whole numbers ≥ 0, every listing left short by a unit or more. The
 * figure when present and readable, null otherwise (its problems are reported).
 */
function readDriftUnrepaired(doc: Record<string, unknown>, path: string, at: At): { listings: number; units: number } | null {
  const value = get(doc, path);
  if (value === undefined) return null;
  if (!isObject(value)) {
    at(path, `must be an object { listings, units }, got ${describe(value)}`);
    return null;
  }
  requireCount(doc, `${path}.listings`, at);
  requireCount(doc, `${path}.units`, at);
  const { listings, units } = value;
  if (!isCount(listings) || !isCount(units)) return null;
  if (units < listings) {
    at(`${path}.units`, `must be at least listings (${listings}): each listing left off is short by a unit or more, got ${units}`);
    return null;
  }
  return { listings, units };
}

/**
 * The strategy's cost is the cost model recorded in `scenario.cost` applied to its counts, in the
 * scenario's currency, to the cent (what `computeCost` gives: the simulator and `synclag run` both
 * write that). Checked only when the model, the counts and the figures are readable: a missing or
 * negative one has its own problem already.
 */
function checkCost(doc: Record<string, unknown>, base: string, at: At): void {
  const scenarioCurrency = get(doc, "scenario.cost.currency");
  const currency = get(doc, `${base}.cost.currency`);
  if (typeof scenarioCurrency === "string" && typeof currency === "string" && currency !== scenarioCurrency) {
    at(`${base}.cost.currency`, `must be the scenario's currency ${JSON.stringify(scenarioCurrency)} (scenario.cost.currency), got ${JSON.stringify(currency)}`);
  }
  const amounts = COST_AMOUNTS.map((f) => get(doc, `scenario.cost.${f}`));
  const rates = COST_RATES.map((f) => get(doc, `scenario.cost.${f}`));
  const oversold = get(doc, `${base}.orders.oversold`);
  const lostSales = get(doc, `${base}.orders.lostSales`);
  if (!amounts.every(isNonNegative) || !rates.every(isRate) || !isCount(oversold) || !isCount(lostSales)) return;
  const expected = computeCost(
    {
      currency: typeof scenarioCurrency === "string" ? scenarioCurrency : "",
      averageOrderValue: get(doc, "scenario.cost.averageOrderValue") as number,
      marginRate: get(doc, "scenario.cost.marginRate") as number,
      cancellationCost: get(doc, "scenario.cost.cancellationCost") as number,
      marketplacePenalty: get(doc, "scenario.cost.marketplacePenalty") as number,
      churnProbability: get(doc, "scenario.cost.churnProbability") as number,
      customerLifetimeValue: get(doc, "scenario.cost.customerLifetimeValue") as number,
    },
    { oversold, lostSales },
  );
  for (const part of COST_PARTS) {
    const got = get(doc, `${base}.cost.${part}`);
    if (typeof got === "number" && Number.isFinite(got) && Math.abs(got - expected[part]) >= 0.005) {
      at(`${base}.cost.${part}`, `must be ${expected[part]}, the cost model (scenario.cost) applied to orders.oversold ${oversold} and orders.lostSales ${lostSales}, got ${got}`);
    }
  }
}

function requireHistogram(doc: Record<string, unknown>, path: string, at: (path: string, problem: string) => void): void {
  const text = get(doc, path);
  if (typeof text !== "string") return at(path, `must be an encoded HdrHistogram string, got ${describe(text)}`);
  try {
    Histogram.decode(text);
  } catch (error) {
    at(path, (error as Error).message);
  }
}

function requireNumber(doc: Record<string, unknown>, path: string, at: (path: string, problem: string) => void): void {
  const value = get(doc, path);
  if (typeof value !== "number" || !Number.isFinite(value)) at(path, `must be a number, got ${describe(value)}`);
}

function requirePositive(doc: Record<string, unknown>, path: string, at: (path: string, problem: string) => void): void {
  const value = get(doc, path);
  if (typeof value !== "number" || !Number.isFinite(value) || !(value > 0)) at(path, `must be a positive number, got ${describe(value)}`);
}

/** A whole number ≥ 0. */
function requireCount(doc: Record<string, unknown>, path: string, at: (path: string, problem: string) => void): void {
  const value = get(doc, path);
  if (!isCount(value)) at(path, `must be a whole number ≥ 0, got ${describe(value)}`);
}

/** A number ≥ 0 (an amount of money, milliseconds). */
function requireNonNegative(doc: Record<string, unknown>, path: string, at: At): void {
  const value = get(doc, path);
  if (!isNonNegative(value)) at(path, `must be a number ≥ 0, got ${describe(value)}`);
}

/** A share: 0 to 1. */
function requireRate(doc: Record<string, unknown>, path: string, at: At): void {
  const value = get(doc, path);
  if (!isRate(value)) at(path, `must be a rate between 0 and 1, got ${describe(value)}`);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isRate(value: unknown): value is number {
  return isNonNegative(value) && value <= 1;
}

/** Runs `check` when the field is present (added without a schema bump, or only in some documents). */
function optional(doc: Record<string, unknown>, path: string, check: () => void): void {
  if (get(doc, path) !== undefined) check();
}

function requireString(doc: Record<string, unknown>, path: string, at: (path: string, problem: string) => void): void {
  requireType(doc, path, "string", at);
}

function requireType(doc: Record<string, unknown>, path: string, type: "string" | "boolean", at: (path: string, problem: string) => void): void {
  const value = get(doc, path);
  if (typeof value !== type) at(path, `must be a ${type}, got ${describe(value)}`);
}

function isSeries(value: unknown): boolean {
  return Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "number" && typeof p[1] === "number");
}

/** Dotted path lookup; numeric segments index arrays. Channel ids never contain "." (the schema forbids it). */
function get(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(key)) current = current[Number(key)];
    else if (isObject(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  return typeof value === "object" ? "an object" : String(value);
}

/** "strategies.1.orders" → "strategies[1].orders" for messages. */
function bracketIndexes(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}
