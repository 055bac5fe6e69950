// Reads a result document (`synclag compare --json`, `synclag run --json`) from text and checks every
// field the gate and the report read, listing every problem at once with its path — so a truncated or
// hand-edited file fails with "strategies[1].histograms.syncLagMs: …" instead of a TypeError deep
// inside a chart, or a page with "—" where a figure should be. A field the renderers read and this
// does not check is a bug (result-document.test.ts deletes each one in turn). Easy to get wrong: the encoded histograms must be decodable too;
// checking that they are strings is not enough.

import { Histogram } from "@synclag/metrics";
import type { ResultDocument, StrategyResult } from "@synclag/sim";

/** The schema version this code reads; typed against the sim's so a bump fails to compile here. */
const SUPPORTED_SCHEMA_VERSION: ResultDocument["schemaVersion"] = 1;

export type ParseResultDocumentResult = { ok: true; doc: ResultDocument } | { ok: false; problems: string[] };

const COST_NUMBERS = ["averageOrderValue", "marginRate", "cancellationCost", "marketplacePenalty", "churnProbability", "customerLifetimeValue"] as const;
const SUMMARY_FIELDS = ["count", "p50", "p90", "p99", "p999", "max"] as const;

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
  else strategies.forEach((_, i) => validateStrategy(value, `strategies.${i}`, at));

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
  requireString(value, "scenario.cost.currency", at);
  for (const field of COST_NUMBERS) requireNumber(value, `scenario.cost.${field}`, at);
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
  for (const field of ["attempted", "accepted", "oversold", "lostSales", "lostSalesByAgents", "soldOut", "cancellationRate"]) requireNumber(doc, `${base}.orders.${field}`, at);
  // A real run's (`synclag run`): the gate fails and the report warns on it, so it must be a count when present.
  optional(doc, `${base}.orders.droppedArrivals`, () => requireCount(doc, `${base}.orders.droppedArrivals`, at));
  for (const lag of ["syncLagMs", "acceptedLagMs"]) {
    for (const field of SUMMARY_FIELDS) requireNumber(doc, `${base}.${lag}.${field}`, at);
    requireHistogram(doc, `${base}.histograms.${lag}`, at);
  }
  // Added later without a schema bump: optional, but readable when present (older documents lack it).
  if (get(doc, `${base}.visibleEverywhereMs`) !== undefined) for (const field of SUMMARY_FIELDS) requireNumber(doc, `${base}.visibleEverywhereMs.${field}`, at);
  if (get(doc, `${base}.histograms.visibleEverywhereMs`) !== undefined) requireHistogram(doc, `${base}.histograms.visibleEverywhereMs`, at);
  if (get(doc, `${base}.orders.notVisibleEverywhere`) !== undefined) requireNumber(doc, `${base}.orders.notVisibleEverywhere`, at);
  requireString(doc, `${base}.cost.currency`, at);
  for (const field of ["oversells", "lostSales", "churn", "total"]) requireNumber(doc, `${base}.cost.${field}`, at);
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
      for (const field of ["apiCalls", "throttled", "oversold", "lostSales", "staleExposure"]) requireNumber(doc, `${path}.${field}`, at);
      for (const lag of ["syncLagMs", "acceptedLagMs"]) {
        for (const field of SUMMARY_FIELDS) requireNumber(doc, `${path}.${lag}.${field}`, at);
        requireHistogram(doc, `${path}.histograms.${lag}`, at);
      }
    }
  }
  // One entry per minute of the run (the simulator and `synclag run` both write them so): a shorter
  // series is a truncated file, and the report would read its missing minutes as "no orders".
  const durationMs = get(doc, "scenario.durationMs");
  const minutes = typeof durationMs === "number" && durationMs > 0 ? Math.max(1, Math.ceil(durationMs / 60_000)) : undefined;
  for (const series of ["accepted", "oversold", "lostSales"]) {
    const list = get(doc, `${base}.perMinute.${series}`);
    if (!Array.isArray(list) || !list.every((n) => typeof n === "number")) at(`${base}.perMinute.${series}`, "must be an array of numbers");
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
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) at(path, `must be a whole number ≥ 0, got ${describe(value)}`);
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
