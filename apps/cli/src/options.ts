// Shared flag parsing: scenario, strategies, seed. Each parser returns problems instead of throwing,
// so a command can report every bad flag at once.

import { parseDuration } from "@synclag/core";
import { checkThresholds } from "@synclag/report";
import { parseStrategy } from "@synclag/sim";
import { MIN_POLLING_INTERVAL_MS, loadScenario, type Scenario } from "@synclag/workload";

export function parseSeed(text: string | undefined, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    problems.push(`--seed must be a non-negative integer, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return Number(text);
}

/**
 * Loads a built-in or a file. Its `thresholds:` are checked too (they are the gate's, but a typo there
 * should not wait for the gate to show) unless the caller checks them itself: `gate` does, together
 * with its --threshold flags and the scenario's channels.
 */
export function parseScenario(nameOrPath: string, problems: string[], options: { readonly checkThresholds?: boolean } = {}): Scenario | undefined {
  const loaded = loadScenario(nameOrPath);
  if (loaded.ok) {
    const thresholds = loaded.scenario.thresholds;
    if (thresholds.length === 0 || options.checkThresholds === false) return loaded.scenario;
    const checked = checkThresholds(thresholds, { channels: loaded.scenario.channels.map((c) => c.id) });
    if (checked.ok) return loaded.scenario;
    problems.push(...checked.problems.map((p) => `scenario ${loaded.source}: thresholds: ${p}`));
    return undefined;
  }
  problems.push(...loaded.problems.map((p) => (loaded.problems.length > 1 || !p.startsWith("unknown scenario") ? `scenario ${loaded.source}: ${p}` : p)));
  return undefined;
}

/** The shortest polling interval accepted (the workload package's, so flags and scenario files agree). */
export const MIN_POLLING_MS = MIN_POLLING_INTERVAL_MS;

/**
 * "1m,5m,15m" → ["polling:1m", "polling:5m", "polling:15m"]. Intervals are compared in milliseconds:
 * one given twice (15m and 900s) is run once, under its first spelling, with a note for stderr.
 */
export function parsePollingList(text: string, problems: string[], notes: string[] = []): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) problems.push("--polling needs at least one interval, e.g. --polling 15m or --polling 1m,5m,15m");
  return pollingStrategies(items, "--polling", problems, notes);
}

/** Polling intervals ("15m", "900s") → unique polling strategies; `label` names where they came from. */
export function pollingStrategies(intervals: readonly string[], label: string, problems: string[], notes: string[] = []): string[] {
  const seen = new Map<number, string>();
  for (const item of intervals) {
    const ms = parseDuration(item);
    if (ms === undefined || ms <= 0) problems.push(`${label}: ${JSON.stringify(item)} is not an interval (use e.g. 30s, 5m, 1h)`);
    else if (ms < MIN_POLLING_MS) problems.push(`${label}: ${JSON.stringify(item)} is below the shortest polling interval, 1s (use e.g. 30s, 5m, 15m)`);
    else if (seen.has(ms)) notes.push(`${label}: ${item} is the same interval as ${seen.get(ms) ?? ""}: run once`);
    else seen.set(ms, item);
  }
  return [...seen.values()].map((item) => `polling:${item}`);
}

/** A strategy flag (events, polling:<interval> of at least 1s), or a problem. */
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
  return text;
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

/** Server URLs (--nats-url, --redis-url): checked before anything starts; the port may be left to its default. */
export const NATS_URL = { schemes: ["nats:", "tls:", "ws:", "wss:"], example: "nats://127.0.0.1:4222" } as const;
export const REDIS_URL = { schemes: ["redis:", "rediss:"], example: "redis://127.0.0.1:6379" } as const;

export function checkServerUrl(flag: string, text: string | undefined, kind: { readonly schemes: readonly string[]; readonly example: string }, problems: string[]): void {
  if (text === undefined) return;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${flag}: ${JSON.stringify(text)} is not a URL (use e.g. ${kind.example})`);
    return;
  }
  if (!kind.schemes.includes(url.protocol)) problems.push(`${flag}: ${JSON.stringify(text)} must start with ${kind.schemes.map((s) => `${s}//`).join(", ")} (e.g. ${kind.example})`);
  else if (url.hostname === "") problems.push(`${flag}: ${JSON.stringify(text)} has no host (use e.g. ${kind.example})`);
  else if (url.port === "0") problems.push(`${flag}: ${JSON.stringify(text)}: port 0 is not a server's port (use e.g. ${kind.example})`);
}
