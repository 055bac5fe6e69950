// Words and colours the report uses for strategies and channels, in one place so every chart, card
// and table names and colours a strategy the same way. Easy to get wrong: colour by *name*, not by
// position — "events" is always teal, polling always warm, whatever order the document lists them in.

import type { StrategyResult } from "@synclag/sim";

export const INK = "#111827";
export const MUTED = "#6b7280";
export const GRID = "#e5e7eb";
export const DANGER = "#b91c1c";
export const FONT = "'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

const EVENTS_COLOR = "#0f766e";
const POLLING_COLORS = ["#c2410c", "#9d174d", "#a16207", "#6d28d9", "#be123c"];
const CHANNEL_COLORS = ["#2563eb", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#9333ea", "#ea580c"];

/** "Event-driven sync", "Polling every 15 min". */
export function strategyLabel(name: string): string {
  if (name === "events") return "Event-driven sync";
  const polling = /^polling:(.+)$/.exec(name);
  if (polling) return `Polling every ${humanInterval(polling[1] as string)}`;
  return name;
}

/** Short form for chart axes and legends: "Events", "Polling 15 min". */
export function strategyShortLabel(name: string): string {
  if (name === "events") return "Events";
  const polling = /^polling:(.+)$/.exec(name);
  if (polling) return `Polling ${humanInterval(polling[1] as string)}`;
  return name;
}

export function strategyColor(name: string, strategies: readonly StrategyResult[]): string {
  if (name === "events") return EVENTS_COLOR;
  const others = strategies.filter((s) => s.strategy !== "events").map((s) => s.strategy);
  const index = Math.max(0, others.indexOf(name));
  return POLLING_COLORS[index % POLLING_COLORS.length] as string;
}

export function channelColor(index: number): string {
  return CHANNEL_COLORS[index % CHANNEL_COLORS.length] as string;
}

/** "15m" → "15 min", "1h" → "1 h", "90s" → "90 s". */
function humanInterval(text: string): string {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) return text;
  const unit = { ms: "ms", s: "s", m: "min", h: "h", d: "days" }[match[2] as string] as string;
  return `${match[1]} ${unit}`;
}
