// Shared flag parsing: scenario, strategies, seed. Each parser returns problems instead of throwing,
// so a command can report every bad flag at once.

import { parseDuration } from "@synclag/core";
import { parseStrategy } from "@synclag/sim";
import { loadScenario, type Scenario } from "@synclag/workload";

export function parseSeed(text: string | undefined, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    problems.push(`--seed must be a non-negative integer, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return Number(text);
}

export function parseScenario(nameOrPath: string, problems: string[]): Scenario | undefined {
  const loaded = loadScenario(nameOrPath);
  if (loaded.ok) return loaded.scenario;
  problems.push(...loaded.problems.map((p) => (loaded.problems.length > 1 || !p.startsWith("unknown scenario") ? `scenario ${loaded.source}: ${p}` : p)));
  return undefined;
}

/** "1m,5m,15m" → ["polling:1m", "polling:5m", "polling:15m"]. */
export function parsePollingList(text: string, problems: string[]): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) problems.push("--polling needs at least one interval, e.g. --polling 15m or --polling 1m,5m,15m");
  const strategies: string[] = [];
  for (const item of items) {
    const ms = parseDuration(item);
    if (ms === undefined || ms <= 0) problems.push(`--polling: ${JSON.stringify(item)} is not an interval (use e.g. 30s, 5m, 1h)`);
    else strategies.push(`polling:${item}`);
  }
  return strategies;
}

export function checkStrategy(text: string, problems: string[]): string | undefined {
  const parsed = parseStrategy(text);
  if (parsed.ok) return text;
  problems.push(`--strategy: ${parsed.problem}`);
  return undefined;
}
