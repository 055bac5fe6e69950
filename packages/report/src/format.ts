// Number, duration and money formatting shared by the gate output, JUnit, the markdown summary and
// the HTML report, so every renderer prints a figure the same way. Easy to get wrong: these are for
// display only — never parse a formatted figure back, and never round before comparing (the gate
// compares the raw measured number; formatting happens afterwards).

/** Short, unit-bearing: 850ms, 4.00s, 27.1s, 4m14s, 1h05m. "—" for NaN/∞. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s === 60 ? `${m + 1}m00s` : `${m}m${String(s).padStart(2, "0")}s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return m === 60 ? `${h + 1}h00m` : `${h}h${String(m).padStart(2, "0")}m`;
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

/** 0.006319 → "0.63%". */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(digits)}%`;
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
