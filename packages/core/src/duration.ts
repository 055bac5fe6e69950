// Human durations ("250ms", "30s", "15m", "1h", "1d", "1h30m") to milliseconds. Strict: anything
// else is an error with the offending text, so a typo in a CLI flag never becomes a silent default.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Units largest first, each at most once ("1h30m", not "30m1h" or "1h1h"). */
const PATTERN = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/u;
const SIZES = [UNITS.d, UNITS.h, UNITS.m, UNITS.s, UNITS.ms] as number[];

/** Milliseconds, or undefined for anything else — including a total beyond exact integers (overflow). */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  let total = 0;
  for (const [index, size] of SIZES.entries()) {
    const part = match[index + 1];
    if (part !== undefined) total += Number(part) * size;
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Shortest exact rendering: 900000 → "15m", 90000 → "1m30s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return "0s";
  let text = "";
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
