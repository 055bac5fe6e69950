// Number, duration and money formatting shared by the gate output, JUnit, the markdown summary and
// the HTML report, so every renderer prints a figure the same way. Easy to get wrong: these are for
// display only — never parse a formatted figure back, and never round before comparing (the gate
// compares the raw measured number; formatting happens afterwards).

/**
 * Short, unit-bearing: 850ms, 4.00s, 27.1s, 4m14s, 1h05m. "—" for NaN/∞. Rounded to the precision
 * shown first, then the unit chosen: 999.6 ms is "1.00s", 9,996 ms "10.0s", 59,960 ms "1m00s" and
 * 3,599,600 ms "1h00m" (never "1000ms", "10.00s", "60.0s" or "60m00s").
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const centiseconds = Math.round(ms / 10);
  if (centiseconds < 1000) return `${(centiseconds / 100).toFixed(2)}s`;
  const deciseconds = Math.round(ms / 100);
  if (deciseconds < 600) return `${(deciseconds / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** What every renderer prints for a lag nothing was measured for (the gate's wording). */
export const NO_SAMPLES = "no samples";

/** A lag summary's sample count: enough to tell "never measured" from "0 ms". */
export interface LagSamples {
  readonly count: number;
}

/**
 * One figure of a lag summary: "850ms", or "no samples" when the summary has none (`count === 0`).
 * Easy to get wrong: an empty summary's percentiles are 0, so without this "never measured" would
 * print as "0ms", the best figure of all.
 */
export function formatLag(lag: LagSamples, value: number): string {
  return lag.count === 0 ? NO_SAMPLES : formatMs(value);
}

/** The same figure for sorting and comparing: +Infinity (worst) when nothing was measured. */
export function lagValue(lag: LagSamples, value: number): number {
  return lag.count === 0 ? Number.POSITIVE_INFINITY : value;
}

/** Words for non-engineers: "4 seconds", "15 minutes", "1.5 hours". */
export function formatMsWords(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  const unit = (value: number, word: string) => `${trim(value)} ${word}${value === 1 ? "" : "s"}`;
  if (ms < 1000) return unit(Math.round(ms), "millisecond");
  if (ms < 60_000) return unit(round1(ms / 1000), "second");
  if (ms < 3_600_000) return unit(round1(ms / 60_000), "minute");
  return unit(round1(ms / 3_600_000), "hour");
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/**
 * Orders in an average polling window: one decimal below 10 (polling:1m on steady-day is 0.3 — "0"
 * would read as no order at risk), whole numbers above.
 */
export function formatWindowMean(mean: number): string {
  if (!Number.isFinite(mean)) return "—";
  return mean < 10 ? (Math.round(mean * 10) / 10).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : formatCount(Math.round(mean));
}

/** 0.006319 → "0.63%". */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(digits)}%`;
}

/**
 * A share of a whole (a channel's share of demand): whole percents where that is exact to a tenth
 * ("40%"), one decimal where rounding would mislead ("2.5%", not "3%": 40 such channels are not
 * 120 %; "0.4%", not "0%"), and "<0.1%" / ">99.9%" rather than a rounded 0 % or 100 %.
 */
export function formatShare(fraction: number): string {
  if (!Number.isFinite(fraction)) return "—";
  const percent = fraction * 100;
  const tenths = Math.round(percent * 10) / 10;
  if (percent > 0 && tenths === 0) return "<0.1%";
  if (percent < 100 && tenths === 100) return ">99.9%";
  return Number.isInteger(tenths) ? `${tenths}%` : `${tenths.toFixed(1)}%`;
}

/** Plain and unambiguous for terminals and CI logs: "EUR 1,250" / "EUR 12.50". */
export function formatMoneyCode(amount: number, currency: string): string {
  if (!Number.isFinite(amount)) return "—";
  const digits = Number.isInteger(amount) ? 0 : 2;
  return `${currency} ${amount.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** With the currency's symbol where it has one: "€1,250", "$12.50", "₹300". Falls back to the code. */
export function formatMoney(amount: number, currency: string, options: { readonly whole?: boolean } = {}): string {
  if (!Number.isFinite(amount)) return "—";
  const digits = options.whole || Number.isInteger(amount) ? 0 : 2;
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(options.whole ? Math.round(amount) : amount);
  } catch {
    return formatMoneyCode(amount, currency);
  }
}

/** Minutes since the start as elapsed clock time: 45 → "0:45", 105 → "1:45". */
export function formatElapsedMinutes(minutes: number): string {
  const total = Math.round(minutes);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function trim(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 1 });
}
