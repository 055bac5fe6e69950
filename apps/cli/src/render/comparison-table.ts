// The side-by-side comparison (compare, simulate, run): one column per strategy, coloured on a TTY
// and plain otherwise. Every row is explained in docs/simulation.md. When the strategies do not fit
// the width (the terminal's on a TTY, 80 columns otherwise) they are split into blocks, and the first
// strategy (events, in compare) is repeated as the first column of every block, so each polling
// column always stands beside it. Easy to get wrong: percentiles shown here are read from the result
// document, never recomputed, so the table, the gate and the HTML report always agree.

import Table from "cli-table3";
import pc from "picocolors";
import { formatDuration } from "@synclag/core";
import type { ResultDocument, StrategyResult } from "@synclag/sim";
import { formatFactor, formatShare, formatWindowMean, timeCompressionOf, type TimeCompression } from "@synclag/report";
import { formatCount, formatMoney, formatMs, formatPercent } from "./format.js";

export interface RenderOptions {
  readonly color: boolean;
  /** Columns the tables may use; default terminalWidth(process.stdout), where the table is printed. */
  readonly width?: number;
}

/** The width off a terminal (a pipe, a file, CI logs, tests): 80 columns, never the environment's. */
export const DEFAULT_WIDTH = 80;

/** A stream's width: the terminal's columns on a TTY, else DEFAULT_WIDTH, so redirected output is deterministic. */
export function terminalWidth(stream: NodeJS.WriteStream): number {
  return stream.isTTY && stream.columns > 0 ? stream.columns : DEFAULT_WIDTH;
}

/** Per-channel tables are shown up to this many channels; above it the figures are in the --json result only. */
export const MAX_CHANNEL_TABLE_ROWS = 12;

type Row = [label: string, value: (s: StrategyResult) => string, better?: "low" | "high", numeric?: (s: StrategyResult) => number];

type Lag = StrategyResult["syncLagMs"];
const NO_SAMPLES = "—";
/** A lag figure, or "—" when nothing was measured (zero samples read as 0 ms would look perfect). */
const lagText = (lag: Lag, value: number) => (lag.count === 0 ? NO_SAMPLES : formatMs(value));
/** For "best value" highlighting: no samples is never the best. */
const lagValue = (lag: Lag, value: number) => (lag.count === 0 ? Number.POSITIVE_INFINITY : value);
/** Per sale, until its slowest other channel shows it: optional (documents written before it lack it). */
const everywhereText = (s: StrategyResult, pick: (lag: Lag) => number) => (s.visibleEverywhereMs ? lagText(s.visibleEverywhereMs, pick(s.visibleEverywhereMs)) : NO_SAMPLES);
const everywhereValue = (s: StrategyResult, pick: (lag: Lag) => number) => (s.visibleEverywhereMs ? lagValue(s.visibleEverywhereMs, pick(s.visibleEverywhereMs)) : Number.POSITIVE_INFINITY);

function table(head: string[], color: boolean): Table.Table {
  return new Table({
    head,
    style: { head: color ? ["cyan"] : [], border: color ? ["grey"] : [], compact: true, "padding-left": 1, "padding-right": 1 },
    chars: color ? {} : { top: "-", "top-mid": "+", "top-left": "+", "top-right": "+", bottom: "-", "bottom-mid": "+", "bottom-left": "+", "bottom-right": "+", left: "|", "left-mid": "+", mid: "-", "mid-mid": "+", right: "|", "right-mid": "+", middle: "|" },
  });
}

export function renderComparison(doc: ResultDocument, options: RenderOptions): string {
  const c = options.color ? pc : pc.createColors(false);
  const strategies = doc.strategies;
  const currency = strategies[0]?.cost.currency ?? "EUR";
  const rows: Row[] = [
    ["orders attempted", (s) => formatCount(s.orders.attempted)],
    ["accepted by channels", (s) => formatCount(s.orders.accepted)],
    ["oversold (cancelled)", (s) => formatCount(s.orders.oversold), "low", (s) => s.orders.oversold],
    ["cancellation rate", (s) => formatPercent(s.orders.cancellationRate), "low", (s) => s.orders.cancellationRate],
    ["lost sales", (s) => formatCount(s.orders.lostSales), "low", (s) => s.orders.lostSales],
    ["sync lag p50", (s) => lagText(s.syncLagMs, s.syncLagMs.p50), "low", (s) => lagValue(s.syncLagMs, s.syncLagMs.p50)],
    ["sync lag p99", (s) => lagText(s.syncLagMs, s.syncLagMs.p99), "low", (s) => lagValue(s.syncLagMs, s.syncLagMs.p99)],
    ["sync lag max", (s) => lagText(s.syncLagMs, s.syncLagMs.max), "low", (s) => lagValue(s.syncLagMs, s.syncLagMs.max)],
    ["accepted lag p99", (s) => lagText(s.acceptedLagMs, s.acceptedLagMs.p99), "low", (s) => lagValue(s.acceptedLagMs, s.acceptedLagMs.p99)],
    ["visible everywhere p50", (s) => everywhereText(s, (l) => l.p50), "low", (s) => everywhereValue(s, (l) => l.p50)],
    ["visible everywhere p99", (s) => everywhereText(s, (l) => l.p99), "low", (s) => everywhereValue(s, (l) => l.p99)],
    ["visible everywhere max", (s) => everywhereText(s, (l) => l.max), "low", (s) => everywhereValue(s, (l) => l.max)],
    ["API calls", (s) => formatCount(sumChannels(s, (ch) => ch.apiCalls))],
    // Reads (the reconciler's: a call per page of SKUs, 20 on Amazon) can outnumber the pushes; the push cost alone.
    ["of which stock updates", (s) => formatCount(sumChannels(s, (ch) => ch.updateCalls))],
    ["throttled (429)", (s) => formatCount(sumChannels(s, (ch) => ch.throttled)), "low", (s) => sumChannels(s, (ch) => ch.throttled)],
    ["cost", (s) => formatMoney(s.cost.total, currency), "low", (s) => s.cost.total],
  ];
  const lines: string[] = [];
  lines.push(c.bold(`${doc.scenario.name}`) + c.dim(` · seed ${doc.seed} · ${doc.generator.mode} · ${formatMs(doc.scenario.durationMs)} · ${doc.scenario.channels.length} channel${doc.scenario.channels.length === 1 ? "" : "s"} · ${formatCount(doc.scenario.ordersPerDay)} ${doc.scenario.ordersPerDay === 1 ? "order" : "orders"}/day`));
  // A real run has two clocks: the header (length, orders/day) is trading time, the lags are wall clock.
  const compression = timeCompressionOf(doc);
  if (compression) lines.push(c.dim(`compressed ${formatFactor(compression.factor)}: ${formatDuration(compression.wallDurationMs)} of wall time = ${formatMs(compression.scenarioDurationMs)} of trading (lags: wall clock)`));

  // More strategies than fit side by side: blocks of tables, each led by the first strategy (the
  // baseline, events in compare) so every other one is read beside it; best values judged over all.
  const channelIds = doc.scenario.channels.map((ch) => ch.id);
  const perChannel = channelIds.length <= MAX_CHANNEL_TABLE_ROWS;
  const renderBlock = (group: readonly StrategyResult[]): string[] => {
    const main = table(["", ...group.map((s) => s.strategy)], options.color);
    for (const [label, value, better, numeric] of rows) {
      const values = group.map(value);
      if (better && numeric && strategies.length > 1) {
        const all = strategies.map(numeric);
        const best = better === "low" ? Math.min(...all) : Math.max(...all);
        const differ = all.some((n) => n !== best);
        main.push([label, ...values.map((v, i) => (differ && numeric(group[i] as StrategyResult) === best ? c.green(v) : v))]);
      } else main.push([label, ...values]);
    }
    const block = [main.toString()];
    if (!perChannel) return block;

    // Per channel: sync lag p99 (accepted lag p99) and API calls/throttles per strategy.
    const lag = table(["channel · p99 lag", ...group.map((s) => s.strategy)], options.color);
    for (const id of channelIds) {
      lag.push([id, ...group.map((s) => {
        const ch = s.channels[id];
        return ch ? `${lagText(ch.syncLagMs, ch.syncLagMs.p99)} (${lagText(ch.acceptedLagMs, ch.acceptedLagMs.p99)})` : "—";
      })]);
    }
    block.push(lag.toString());
    const calls = table(["channel · calls/429s", ...group.map((s) => s.strategy)], options.color);
    for (const id of channelIds) {
      calls.push([id, ...group.map((s) => {
        const ch = s.channels[id];
        return ch ? `${formatCount(ch.apiCalls)} / ${formatCount(ch.throttled)}${ch.rateLimit.bound ? " RL" : ""}` : "—";
      })]);
    }
    block.push(calls.toString());
    return block;
  };
  for (const block of blocks(strategies, options.width ?? terminalWidth(process.stdout), renderBlock)) lines.push(...block);
  lines.push(c.dim("visible everywhere: time until a sale is visible on every other channel (its"));
  lines.push(c.dim("slowest one), one figure per sale; sync lag counts each channel update once."));
  if (perChannel) {
    lines.push(c.dim("p99 lag: buyer-visible (API-accepted in brackets). RL: waiting for the"));
    lines.push(c.dim("channel's rate limit made up most of its API-accepted lag."));
  } else {
    lines.push(c.dim(`${channelIds.length} channels: per-channel figures are in the --json result.`));
  }
  const unmeasured = strategies.some((s) => s.syncLagMs.count === 0 || s.acceptedLagMs.count === 0 || s.visibleEverywhereMs?.count === 0 || Object.values(s.channels).some((ch) => ch.syncLagMs.count === 0 || ch.acceptedLagMs.count === 0));
  if (unmeasured) lines.push(c.dim(`${NO_SAMPLES}: no lag samples recorded (nothing was synced there), so no lag to show.`));
  const unrecorded = strategies.filter((s) => s.visibleEverywhereMs === undefined).map((s) => s.strategy);
  if (unrecorded.length > 0) lines.push(c.dim(`${NO_SAMPLES} visible everywhere (${unrecorded.join(", ")}): not in this result (written by an older synclag).`));
  const missing = strategies.filter((s) => (s.orders.notVisibleEverywhere ?? 0) > 0);
  for (const s of missing) lines.push(c.dim(`${s.strategy}: ${formatCount(s.orders.notVisibleEverywhere ?? 0)} sales not visible everywhere by the end of the run (not in visible everywhere).`));
  // A run without a reconciler: the listings sales the engine could not account for left off (the configuration's cost, not a broken invariant).
  for (const s of strategies) {
    const drift = s.driftUnrepaired;
    if (drift && drift.listings > 0) lines.push(c.dim(`${s.strategy}: ${formatCount(drift.listings)} listing${drift.listings === 1 ? "" : "s"} left off by ${formatCount(drift.units)} unit${drift.units === 1 ? "" : "s"}: sales the engine could not account for (lost notifications, oversells against a pending update; no reconciler to repair them).`));
  }
  // A marketplace holds the seller to its own orders' cancellation rate: the pooled row can be under the line while a channel is over it.
  for (const s of strategies) {
    const line = channelsOverLimitLine(doc, s);
    if (line !== undefined) lines.push(...wrap(line, options.width ?? terminalWidth(process.stdout)).map((l) => c.yellow(l)));
  }
  for (const s of strategies) {
    if (s.polling) lines.push(...pollingLines(s.strategy, s.polling, doc.generator.mode, compression).map((line) => c.dim(line)));
  }
  const failed = strategies.flatMap((s) => s.checks.filter((check) => !check.ok).map((check) => `${s.strategy}: ${check.name} — ${check.detail}`));
  if (failed.length > 0) lines.push(c.red(`INVARIANTS BROKEN:\n  ${failed.join("\n  ")}`));
  return lines.join("\n");
}

const DAY_MS = 86_400_000;

/** A channel's limit when its document does not record one: Amazon's published 2.5 %, every built-in profile's. */
const DEFAULT_CANCELLATION_RATE_LIMIT = 0.025;
/** Channels named in the line before "and N more". */
const MAX_CHANNELS_OVER_LIMIT_NAMED = 6;

/**
 * The channels of a strategy whose own cancellation rate (`channels.<id>.cancellationRate`) is at or over
 * their marketplace's limit, in one line with the pooled rate; undefined when none is, or when the
 * document predates the per-channel figures.
 */
function channelsOverLimitLine(doc: ResultDocument, s: StrategyResult): string | undefined {
  const over = doc.scenario.channels.flatMap(({ id }) => {
    const ch = s.channels[id];
    if (ch?.accepted === undefined || ch.cancellationRate === undefined) return [];
    const limit = ch.cancellationRateLimit ?? DEFAULT_CANCELLATION_RATE_LIMIT;
    return ch.cancellationRate >= limit ? [{ id, accepted: ch.accepted, oversold: ch.oversold, rate: ch.cancellationRate, limit }] : [];
  });
  const pooled = formatPercent(s.orders.cancellationRate);
  const [only] = over;
  if (only === undefined) return undefined;
  if (over.length === 1) return `${s.strategy}: ${only.id} cancelled ${formatPercent(only.rate)} of its orders (${formatCount(only.oversold)} of ${formatCount(only.accepted)}), over its ${formatShare(only.limit)} limit (all channels: ${pooled}).`;
  const sameLimit = over.every((o) => o.limit === only.limit);
  const named = over.slice(0, MAX_CHANNELS_OVER_LIMIT_NAMED).map((o) => `${o.id} ${formatPercent(o.rate)} (${formatCount(o.oversold)} of ${formatCount(o.accepted)}${sameLimit ? "" : `, limit ${formatShare(o.limit)}`})`);
  const more = over.length > MAX_CHANNELS_OVER_LIMIT_NAMED ? ` and ${formatCount(over.length - MAX_CHANNELS_OVER_LIMIT_NAMED)} more (every channel in the --json result)` : "";
  return `${s.strategy}: ${formatCount(over.length)} channels over their cancellation-rate limit (all channels: ${pooled}): ${named.join(", ")}${more}${sameLimit ? `; limit ${formatShare(only.limit)} each` : ""}.`;
}

/**
 * The polling line(s): syncs per day and orders per sync window. A real run polls in wall-clock time
 * while its header and orders per window are trading time, so its interval is stated in both and its
 * syncs per day are per *trading* day — derived from `intervalMs` and the compression, not from
 * `syncWindowsPerDay`, whichever clock the document wrote that in.
 */
function pollingLines(name: string, polling: NonNullable<StrategyResult["polling"]>, mode: ResultDocument["generator"]["mode"], compression: TimeCompression | undefined): string[] {
  const windows = `${formatWindowMean(polling.ordersPerWindow.mean)} orders per window on average, ${formatCount(polling.ordersPerWindow.peak)} at peak`;
  if (compression) {
    const tradingIntervalMs = polling.intervalMs * compression.factor;
    const perTradingDay = DAY_MS / tradingIntervalMs;
    // Under one sync a trading day the interval says it better.
    const syncs = perTradingDay >= 1 ? `${formatCount(perTradingDay)} syncs per trading day` : `1 sync every ${formatMs(tradingIntervalMs)} of trading`;
    return [`${name}: polls every ${formatDuration(polling.intervalMs)} of wall time = every ${formatMs(tradingIntervalMs)} of trading:`, `  ${syncs}, ${windows}`];
  }
  // A real run whose compression is not recorded: its interval is wall-clock time, and nothing says what that is in trading time.
  if (mode === "real") return [`${name}: polls every ${formatDuration(polling.intervalMs)} of wall time (the compression is not recorded), ${windows}`];
  // Under one sync a day ("0 syncs/day" for polling:366d) the interval says it better.
  const syncs = polling.syncWindowsPerDay >= 1 ? `${formatCount(polling.syncWindowsPerDay)} syncs/day` : `1 sync every ${formatDuration(polling.intervalMs)}`;
  return [`${name}: ${syncs}, ${windows}`];
}

/** Word-wraps a line to `width` columns, continuation lines indented by two spaces (a word longer than the width stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (line !== "" && candidate.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = candidate;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * Splits the strategies into blocks that fit `width`: the first strategy leads every block, then as
 * many of the others, in order, as fit beside it (at least one, however narrow). One block when all fit.
 */
function blocks(strategies: readonly StrategyResult[], width: number, render: (group: readonly StrategyResult[]) => string[]): string[][] {
  const [lead, ...rest] = strategies;
  if (!lead || rest.length === 0) return [render(strategies)];
  const all = render(strategies);
  if (widest(all) <= width) return [all];
  const result: string[][] = [];
  let group: StrategyResult[] = [lead];
  let rendered: string[] = [];
  for (const s of rest) {
    const candidate = [...group, s];
    const tried = render(candidate);
    if (group.length > 1 && widest(tried) > width) {
      result.push(rendered);
      group = [lead, s];
      rendered = render(group);
    } else {
      group = candidate;
      rendered = tried;
    }
  }
  result.push(rendered);
  return result;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The widest line of some rendered tables, in terminal columns (colour codes take none). */
function widest(tables: readonly string[]): number {
  return Math.max(0, ...tables.flatMap((t) => t.split("\n")).map((line) => line.replace(ANSI, "").length));
}

function sumChannels(s: StrategyResult, pick: (ch: StrategyResult["channels"][string]) => number): number {
  return Object.values(s.channels).reduce((sum, ch) => sum + pick(ch), 0);
}
