// The load generator's flags → a checked plan, or every problem at once (exit 2). Easy to get wrong:
// a storefront for a channel the scenario does not have would be ignored by the generator (no arrival
// goes there), so it is refused like a missing one — both name the scenario's channels. And --rate
// replaces the scenario's rate: the scenario is checked again at that rate (its limits on peak rate and
// expected orders hold for a rate given by flag as for one written in the file).

import { formatDuration, parseDuration } from "@synclag/core";
import { MAX_SEED, SEED_LIMIT_TEXT, loadScenario, validateScenario, type Scenario } from "@synclag/workload";

export interface LoadgenFlags {
  /** Required: missing, it is listed with the other problems. */
  readonly scenario?: string | undefined;
  /** Required (one per scenario channel): missing, it is listed with the other problems. */
  readonly storefront?: readonly string[] | undefined;
  readonly duration: string;
  readonly rate?: string | undefined;
  readonly seed?: string | undefined;
  readonly lateTolerance: string;
}

export interface LoadgenPlan {
  /** The scenario, with `--rate` applied (base orders per day in scenario time). */
  readonly scenario: Scenario;
  readonly seed: number;
  readonly durationMs: number;
  /** Real ms per scenario ms. */
  readonly timeScale: number;
  readonly lateToleranceMs: number;
  /** Channel id → storefront base URL (no trailing slash). */
  readonly storefronts: ReadonlyMap<string, string>;
}

export type ParsedFlags = { readonly ok: true; readonly plan: LoadgenPlan } | { readonly ok: false; readonly problems: readonly string[] };

/** Where `--duration` came from: typed by the user, the default, or given without a value (already listed). */
export interface FlagSources {
  readonly duration?: "given" | "default" | "missing";
}

export function parseLoadgenFlags(flags: LoadgenFlags, sources: FlagSources = {}): ParsedFlags {
  const problems: string[] = [];
  if (flags.scenario === undefined) problems.push("required option '--scenario <name|file>' not specified");
  const loaded = flags.scenario === undefined ? undefined : loadScenario(flags.scenario);
  // The file (or built-in) each scenario problem comes from; a lone "unknown scenario" names it already.
  if (loaded && !loaded.ok) problems.push(...loaded.problems.map((p) => (loaded.problems.length > 1 || !p.startsWith("unknown scenario") ? `scenario ${loaded.source}: ${p}` : p)));
  const durationMs = parseDuration(flags.duration);
  const durationText = flags.duration.trim();
  if (/^\d+(?:\.\d+)?$/.test(durationText) && Number(durationText) > 0) problems.push(`--duration: ${JSON.stringify(flags.duration)} has no unit: write e.g. ${durationText}s or ${durationText}ms`);
  else if (durationMs === undefined || !(durationMs > 0)) problems.push(`--duration: ${JSON.stringify(flags.duration)} is not a positive duration (e.g. 30s, 2m)`);
  const lateToleranceMs = parseDuration(flags.lateTolerance);
  if (lateToleranceMs === undefined) problems.push(`--late-tolerance: ${JSON.stringify(flags.lateTolerance)} is not a duration (e.g. 250ms)`);
  const rate = flags.rate === undefined ? undefined : Number(/^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(flags.rate.trim())?.[1] ?? NaN);
  if (rate !== undefined && !(rate > 0)) problems.push(`--rate: ${JSON.stringify(flags.rate)} is not a rate (e.g. 50/s)`);
  let seed: number | undefined;
  if (flags.seed !== undefined) {
    // The scenario file's limit (what the PRNG replays exactly), so a seed valid in one is valid in the other.
    if (/^\d+$/.test(flags.seed) && BigInt(flags.seed) <= BigInt(MAX_SEED)) seed = Number(flags.seed);
    else problems.push(`--seed must be ${SEED_LIMIT_TEXT}, got ${JSON.stringify(flags.seed)}`);
  }
  const storefronts = new Map<string, string>();
  const pairs = flags.storefront ?? [];
  // Without a scenario the channels are unknown: "no URL for …" below cannot name them.
  if (pairs.length === 0 && !loaded?.ok) problems.push("required option '--storefront <channel=url>' not specified (one per scenario channel)");
  for (const pair of pairs) {
    const match = /^([^=]+)=(https?:\/\/.+)$/.exec(pair);
    const channel = match?.[1]?.trim();
    const url = match?.[2]?.replace(/\/+$/, "");
    if (channel === undefined || url === undefined || !URL.canParse(url)) problems.push(`--storefront: ${JSON.stringify(pair)} is not channel=http(s)://url`);
    else if (storefronts.has(channel)) problems.push(`--storefront: channel ${channel} is given twice`);
    else storefronts.set(channel, url);
  }
  if (loaded?.ok) {
    // The scenario is compressed into --duration: longer would stretch it (and take hours).
    if (durationMs !== undefined && durationMs > loaded.scenario.duration) {
      const length = formatDuration(loaded.scenario.duration);
      if (sources.duration !== "missing") problems.push(`${sources.duration === "default" ? "the default " : ""}--duration ${flags.duration} is longer than the scenario (${loaded.scenario.name}: ${length}): the scenario is compressed into --duration, so it can be at most ${length} (e.g. --duration ${formatDuration(Math.min(30_000, loaded.scenario.duration))})`);
    }
    const channels = loaded.scenario.channels.map((c) => c.id);
    const known = `scenario ${loaded.scenario.name} has channels ${channels.join(", ")}`;
    const extra = [...storefronts.keys()].filter((channel) => !channels.includes(channel));
    if (extra.length > 0) problems.push(`--storefront: ${extra.join(", ")} ${extra.length > 1 ? "are not channels" : "is not a channel"} of the scenario (${known})`);
    const missing = channels.filter((channel) => !storefronts.has(channel));
    if (missing.length > 0) problems.push(`--storefront: no URL for the scenario's channel${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (${known}; give one --storefront channel=url each)`);
  }
  let scenario = loaded?.ok ? loaded.scenario : undefined;
  if (scenario && rate !== undefined && rate > 0 && durationMs !== undefined && durationMs > 0 && durationMs <= scenario.duration) {
    const ordersPerDay = rate * 86_400 * (durationMs / scenario.duration);
    const rated = validateScenario({ ...scenario, demand: { ...scenario.demand, ordersPerDay } }, scenario.name);
    if (rated.ok) scenario = rated.scenario;
    else problems.push(...rated.problems.map((p) => `--rate ${flags.rate} is beyond the scenario's limits (${scenario?.name} compressed into ${formatDuration(durationMs)}, its ordersPerDay becomes ${ordersPerDay.toExponential(2)}): ${p}`));
  }
  if (problems.length > 0 || !scenario || durationMs === undefined || lateToleranceMs === undefined) return { ok: false, problems };
  const timeScale = durationMs / scenario.duration;
  return { ok: true, plan: { scenario, seed: seed ?? scenario.seed, durationMs, timeScale, lateToleranceMs, storefronts } };
}
