// Shared flag parsing: scenario, strategies, seed. Each parser returns problems instead of throwing,
// so a command can report every bad flag at once.

import { formatDuration, parseDuration } from "@synclag/core";
import { natsServers, redactUrlCredentials } from "@synclag/service/config-helpers";
// The workload's strategy parser, which the simulator's parseStrategy is (same rules, same words), without loading the simulator.
import { MAX_POLLING_INTERVAL_MS, MAX_SEED, MIN_POLLING_INTERVAL_MS, SEED_LIMIT_TEXT, loadScenario, parseStrategy, strategyName, type Scenario } from "@synclag/workload";
import { fileThresholdProblems } from "./thresholds.js";

/** `--seed`: the same limit as a scenario file's `seed:` (whatever the PRNG replays exactly), named in the message. */
export function parseSeed(text: string | undefined, problems: string[], flag = "--seed"): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || BigInt(text) > BigInt(MAX_SEED)) {
    problems.push(`${flag} must be ${SEED_LIMIT_TEXT}, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return Number(text);
}

export interface ScenarioOption {
  /** The scenario, when it loaded and its thresholds are fine. */
  readonly scenario?: Scenario;
  /**
   * The `thresholds:` the file lists, as written — known even when the rest of the file is invalid
   * (undefined only when it could not be read or parsed), so `gate` never says "no thresholds" about
   * a file that has some.
   */
  readonly thresholds?: readonly string[];
  /** Its channel ids, where readable (for `channels.<id>.…` thresholds given as flags). */
  readonly channels?: readonly string[];
}

/**
 * Loads a built-in or a file. Its `thresholds:` are checked too, each by its path (`thresholds.1: …`)
 * and together with every other problem of the file: a typo there should not wait for the gate, nor
 * hide behind a bad duration.
 */
export function loadScenarioOption(nameOrPath: string, problems: string[]): ScenarioOption {
  const loaded = loadScenario(nameOrPath);
  const prefix = `scenario ${loaded.source}: `;
  if (loaded.ok) {
    const thresholds = loaded.scenario.thresholds;
    const channels = loaded.scenario.channels.map((c) => c.id);
    const found = fileThresholdProblems(thresholds, channels);
    problems.push(...found.map((p) => prefix + p));
    return found.length === 0 ? { scenario: loaded.scenario, thresholds, channels } : { thresholds, channels };
  }
  // A result document (`compare --json`) given as the scenario: say what it is, not every field it lacks.
  if ("value" in loaded && isResultDocument(loaded.value)) {
    const version = JSON.stringify(field(loaded.value, "schemaVersion"));
    problems.push(`${prefix}this is a result document (schemaVersion ${version}, strategies[]), not a scenario — use \`synclag report ${shellQuote(nameOrPath)}\` or \`synclag gate --result ${shellQuote(nameOrPath)}\`, or give the scenario it was run from`);
    return {};
  }
  problems.push(...loaded.problems.map((p) => (loaded.problems.length > 1 || !p.startsWith("unknown scenario") ? prefix + p : p)));
  if (!("value" in loaded)) return {};
  // The schema failed elsewhere: its thresholds (and channel ids, where readable) are still checked.
  const raw = field(loaded.value, "thresholds");
  const list = Array.isArray(raw) ? (raw as unknown[]) : [];
  const channels = field(loaded.value, "channels");
  const ids = Array.isArray(channels) ? channels.map((c) => field(c, "id")).filter((id): id is string => typeof id === "string") : undefined;
  problems.push(...fileThresholdProblems(list, ids).map((p) => prefix + p));
  return { thresholds: list.filter((t): t is string => typeof t === "string"), ...(ids === undefined ? {} : { channels: ids }) };
}

/** The scenario, or undefined with its problems (thresholds included) added to `problems`. */
export function parseScenario(nameOrPath: string, problems: string[]): Scenario | undefined {
  return loadScenarioOption(nameOrPath, problems).scenario;
}

/** What every synclag result document has and no scenario may (`schemaVersion` is an unknown key there): schemaVersion and strategies[] of objects. */
function isResultDocument(value: unknown): boolean {
  const strategies = field(value, "strategies");
  return field(value, "schemaVersion") !== undefined && Array.isArray(strategies) && strategies.length > 0 && strategies.every((s) => typeof s === "object" && s !== null && !Array.isArray(s));
}

function field(object: unknown, key: string): unknown {
  return typeof object === "object" && object !== null && !Array.isArray(object) ? (object as Record<string, unknown>)[key] : undefined;
}

/**
 * A real run's wall-clock `--duration` (run, gate --real): the scenario is *compressed* into it, so it
 * can be at most the scenario's own length — longer would stretch it (a "0×" time-lapse) and take hours.
 */
export function checkCompressedDuration(flag: string, text: string, durationMs: number, scenario: Scenario, problems: string[], given = true): void {
  if (durationMs <= scenario.duration) return;
  // Not given: say it is the default (the user never typed it), and suggest a value that fits.
  const what = given ? `${flag} ${text}` : `the default ${flag} ${text}`;
  const example = formatDuration(Math.min(30_000, scenario.duration));
  problems.push(`${what} is longer than the scenario (${scenario.name}: ${formatDuration(scenario.duration)}): the scenario is compressed into ${flag}, so it can be at most ${formatDuration(scenario.duration)} (e.g. ${flag} ${example})`);
}

/** A real run's wall-clock load phase as given: `--duration 30s` (or its default, `given` false). */
export interface RealDuration {
  readonly flag: string;
  readonly text: string;
  readonly ms: number;
  readonly given: boolean;
}

/**
 * A real run (`synclag run`, `gate --real`): the polling interval is wall-clock time — it is not
 * compressed with the scenario — and the run waits up to one more interval after the load to converge.
 * An interval longer than the load phase sees no poll during the load (and makes the run wait it out
 * afterwards, e.g. 15 real minutes): refused before anything starts. `maxMs` (gate --real: what fits a
 * CI job) refuses longer ones whatever the duration; `scenario`, when loaded, keeps the suggested
 * --duration within what the scenario allows (see checkCompressedDuration).
 */
export function checkRealPollingInterval(
  strategy: string,
  duration: RealDuration,
  problems: string[],
  options: { readonly context: string; readonly maxMs?: number; readonly maxHint?: string; readonly scenario?: { readonly name: string; readonly durationMs: number } },
): void {
  const parsed = parseStrategy(strategy);
  if (!parsed.ok || parsed.strategy.kind !== "polling") return;
  const intervalMs = parsed.strategy.intervalMs;
  const why = `${options.context} the polling interval is wall-clock time (not compressed with the scenario), and the run waits up to one more interval after the load to converge`;
  if (options.maxMs !== undefined && intervalMs > options.maxMs) {
    problems.push(`--strategy ${strategy}: ${why}, so an interval above ${formatDuration(options.maxMs)} ${options.maxHint ?? "is refused"}`);
    return;
  }
  if (intervalMs <= duration.ms) return;
  const what = duration.given ? `${duration.flag} ${duration.text}` : `the default ${duration.flag} ${duration.text}`;
  const fix =
    options.scenario !== undefined && intervalMs > options.scenario.durationMs
      ? `give a shorter interval: ${duration.flag} can be at most the scenario's ${formatDuration(options.scenario.durationMs)} (${options.scenario.name})`
      : `give ${duration.flag} ${formatDuration(intervalMs)} or more, or a shorter interval`;
  problems.push(`--strategy ${strategy}: ${why}; it is longer than ${what}, so no poll would happen during the load: ${fix}`);
}

/** The shortest polling interval accepted (the workload package's, so flags and scenario files agree). */
export const MIN_POLLING_MS = MIN_POLLING_INTERVAL_MS;

/**
 * "1m,5m,15m" → ["polling:1m", "polling:5m", "polling:15m"], each named canonically ("900s" →
 * "polling:15m", as the simulator names a built-in's). An interval given twice (15m and 900s) is run
 * once, with a note for stderr.
 */
export function parsePollingList(text: string, problems: string[], notes: string[] = []): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) problems.push("--polling needs at least one interval, e.g. --polling 15m or --polling 1m,5m,15m");
  return pollingStrategies(items, "--polling", problems, notes);
}

/**
 * Polling intervals ("15m", "900s") → unique polling strategies, named canonically (both are
 * "polling:15m"); `label` names where they came from. Each is checked by the simulator's own strategy
 * parser (its shortest and longest interval), so every problem is listed here and none reaches the run.
 */
export function pollingStrategies(intervals: readonly string[], label: string, problems: string[], notes: string[] = []): string[] {
  const seen = new Map<number, string>();
  for (const item of intervals) {
    const parsed = parseStrategy(`polling:${item}`);
    if (!parsed.ok || parsed.strategy.kind !== "polling") {
      const ms = parseDuration(item);
      if (ms === undefined || ms <= 0) problems.push(`${label}: ${JSON.stringify(item)} is not an interval (use e.g. 30s, 5m, 1h)`);
      else if (ms < MIN_POLLING_MS) problems.push(`${label}: ${JSON.stringify(item)} is below the shortest polling interval, 1s (use e.g. 30s, 5m, 15m)`);
      else if (ms > MAX_POLLING_INTERVAL_MS) problems.push(`${label}: ${JSON.stringify(item)} is above the longest polling interval, ${formatDuration(MAX_POLLING_INTERVAL_MS)} (a run would only wait for its one poll; use e.g. 15m, 1h, 1d)`);
      else problems.push(`${label}: ${parsed.ok ? `${JSON.stringify(item)} is not a polling interval` : parsed.problem}`);
      continue;
    }
    const ms = parsed.strategy.intervalMs;
    if (seen.has(ms)) notes.push(`${label}: ${item} ${seen.get(ms) === item ? "is listed twice" : `is the same interval as ${seen.get(ms) ?? ""}`}: run once`);
    else seen.set(ms, item);
  }
  return [...seen.keys()].map((intervalMs) => strategyName({ kind: "polling", intervalMs }));
}

/**
 * A strategy flag (events, polling:<interval> of at least 1s) by its canonical name ("polling:900s"
 * and "polling: 15m" are "polling:15m", as the simulator names a built-in's), or a problem.
 */
export function checkStrategy(text: string, problems: string[], flag = "--strategy"): string | undefined {
  const parsed = parseStrategy(text);
  if (!parsed.ok) {
    problems.push(`${flag}: ${parsed.problem}`);
    return undefined;
  }
  if (parsed.strategy.kind === "polling" && parsed.strategy.intervalMs < MIN_POLLING_MS) {
    problems.push(`${flag}: ${JSON.stringify(text)} polls faster than the shortest polling interval, 1s (use e.g. polling:30s, polling:15m)`);
    return undefined;
  }
  return strategyName(parsed.strategy);
}

/** The name a result document gives the requested strategy: polling:900s finds polling:15m (same interval). */
export function strategyInDocument(names: readonly string[], requested: string): string {
  if (names.includes(requested)) return requested;
  const ms = pollingIntervalMs(requested);
  return (ms === undefined ? undefined : names.find((name) => pollingIntervalMs(name) === ms)) ?? requested;
}

function pollingIntervalMs(strategy: string): number | undefined {
  const parsed = parseStrategy(strategy);
  return parsed.ok && parsed.strategy.kind === "polling" ? parsed.strategy.intervalMs : undefined;
}

/** Quotes a word for a POSIX shell only when it needs it (reproduce: command lines). */
export function shellQuote(text: string): string {
  return /^[\w.,:%/=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Server URLs (--nats-url, --redis-url): checked before anything starts; the port may be left to its default.
 * `list`: several servers separated by commas (NATS cluster seeds, as the engine service takes them).
 */
// Not ws:/wss: — the Node transport of nats.js does not connect websockets (it refuses them at connect).
export const NATS_URL = { schemes: ["nats:", "tls:"], example: "nats://127.0.0.1:4222", list: true } as const;
export const REDIS_URL = { schemes: ["redis:", "rediss:"], example: "redis://127.0.0.1:6379", list: false } as const;

/**
 * Every problem of a server URL flag. Messages quote the URL with its user info (`user:password@`, a
 * token) and secret-looking parameters redacted: a flag's text lands in terminals and CI logs.
 */
export function checkServerUrl(flag: string, text: string | undefined, kind: { readonly schemes: readonly string[]; readonly example: string; readonly list: boolean }, problems: string[]): void {
  if (text === undefined) return;
  const servers = kind.list ? natsServers(text) : [text];
  if (servers.includes("")) problems.push(`${flag}: an empty entry in the server list (servers are separated by single commas, e.g. ${kind.example},${kind.example.replace(/\d+$/, (port) => String(Number(port) + 1))})`);
  for (const server of servers) {
    if (server === "") continue;
    const quoted = JSON.stringify(redactUrlCredentials(server));
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      problems.push(`${flag}: ${quoted} is not a URL (use e.g. ${kind.example})`);
      continue;
    }
    if (!kind.schemes.includes(url.protocol)) problems.push(`${flag}: ${quoted} must start with ${kind.schemes.map((s) => `${s}//`).join(", ")} (e.g. ${kind.example})`);
    else if (url.hostname === "") problems.push(`${flag}: ${quoted} has no host (use e.g. ${kind.example})`);
    else if (url.port === "0") problems.push(`${flag}: ${quoted}: port 0 is not a server's port (use e.g. ${kind.example})`);
  }
}
