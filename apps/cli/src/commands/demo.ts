// `synclag demo`: the consultant's command. Builds a flash-sale scenario from the client's own numbers
// (orders a day, order value, currency, channels, polling interval, flash-sale size, cost model),
// validates it through the same scenario schema as a file, compares events against polling, and
// writes the self-contained HTML report. Easy to get wrong: error messages. The schema speaks in
// scenario paths (`cost.averageOrderValue`); the user typed flags (`--aov`), so every problem is
// translated back to the flag that caused it, and all of them are reported at once.

import { Command } from "commander";
import { parseDuration } from "@synclag/core";
import { DEFAULT_FLASH_SALES_PER_YEAR } from "@synclag/report";
import { validateScenario, type ScenarioInput } from "@synclag/workload";
import { UsageError } from "../cli-error.js";
import { parsePollingList, parseSeed, shellQuote } from "../options.js";
import { STDOUT, checkDistinctOutputs, checkOutputPath } from "../output.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";
import { createProgress } from "../progress.js";
import { PLAIN_NUMBER, checkFlashSalesFitAYear, parseFlashSalesPerYear, writeReport } from "./report.js";

interface DemoOptions {
  ordersPerDay: string;
  aov: string;
  currency: string;
  channels?: string;
  polling: string;
  flashMultiplier: string;
  flashDuration: string;
  flashSalesPerYear?: string;
  margin: string;
  cancellationCost: string;
  marketplacePenalty: string;
  churn: string;
  lifetimeValue: string;
  seed: string;
  out: string;
  json?: string;
  color?: boolean;
}

/** The shape of the demo's flash sale: normal trading, the sale, the tail after it. */
const LEAD_IN_MS = 45 * 60_000;
const TAIL_MS = 75 * 60_000;
const SKUS = 30;
/** Stock in the sale as a share of the units the run is expected to sell: a limited-stock sale. */
const STOCK_TO_DEMAND = 0.9;
/** Zipf exponent of the products' popularity (catalog.popularity). */
const POPULARITY = 0.8;
/** The best seller's share of the orders (rank 1 of SKUS under POPULARITY). */
const TOP_SHARE = 1 / Array.from({ length: SKUS }, (_, i) => (i + 1) ** -POPULARITY).reduce((a, b) => a + b, 0);
const DAY_MS = 86_400_000;
const DEFAULT_CHANNELS = "amazon:0.4,shopify:0.3,flipkart:0.2,woocommerce:0.1";

/** Schema path prefix → the flag that sets it. */
const FLAG_FOR_PATH: ReadonlyArray<[prefix: string, flag: string]> = [
  ["demand.ordersPerDay", "--orders-per-day"],
  ["demand.curve", "--flash-multiplier/--flash-duration"],
  ["cost.averageOrderValue", "--aov"],
  ["cost.currency", "--currency"],
  ["cost.marginRate", "--margin"],
  ["cost.cancellationCost", "--cancellation-cost"],
  ["cost.marketplacePenalty", "--marketplace-penalty"],
  ["cost.churnProbability", "--churn"],
  ["cost.customerLifetimeValue", "--lifetime-value"],
  ["channels", "--channels"],
  ["strategies", "--polling"],
  ["seed", "--seed"],
  ["duration", "--flash-duration"],
  ["catalog", "--orders-per-day"],
];

export function demoCommand(): Command {
  return listsParseProblems(new Command("demo"))
    .description("Show a client what a flash sale costs them: simulate their numbers through polling and event-driven sync, and write a self-contained HTML report.")
    .option("--orders-per-day <n>", "orders a day in normal trading", "2000")
    .option("--aov <amount>", "average order value (more than 0)", "80")
    .option("--currency <code>", "ISO 4217 currency code, in any case (gbp is GBP)", "EUR")
    .option("--channels <list>", "sales channels (amazon, shopify, woocommerce, flipkart, ebay), each optionally kind:share, a share of the orders as 40%, 40 or 0.4; channels without one split the rest equally (default: amazon:0.4,shopify:0.3,flipkart:0.2,woocommerce:0.1)")
    .option("--polling <interval>", "the polling interval of the client's current tool", "15m")
    .option("--flash-multiplier <x>", "demand during the flash sale, as a multiple of normal (more than 1)", "10")
    .option("--flash-duration <duration>", "length of the flash sale", "1h")
    .option("--flash-sales-per-year <n>", `flash sales a year, for the per-year cost (default ${DEFAULT_FLASH_SALES_PER_YEAR})`)
    .option("--margin <rate>", "gross margin, 0.3 or 30%", "30%")
    .option("--cancellation-cost <amount>", "cost of handling one cancelled order", "15")
    .option("--marketplace-penalty <amount>", "marketplace penalty or fee per cancellation", "10")
    .option("--churn <rate>", "chance a buyer whose order was cancelled never returns, 0.15 or 15%", "15%")
    .option("--lifetime-value <amount>", "customer lifetime value", "250")
    .option("--seed <n>", "seed; same seed, same report", "1")
    .option("--out <file>", "the HTML report to write (- for stdout)", "report.html")
    .option("--json <file>", "also write the result document (for synclag report or gate; - for stdout)")
    .option("--no-color", "plain output even on a terminal")
    .addHelpText(
      "after",
      `
The run: ${LEAD_IN_MS / 60_000} min of normal trading, the flash sale, then ${TAIL_MS / 60_000} min after it, on
${SKUS} products whose stock is ${STOCK_TO_DEMAND * 100}% of the units the run is expected to sell, but at least
enough for the best seller's ${LEAD_IN_MS / 60_000} min of normal trading (so the sale is what runs it out).
Numbers are plain decimals (2000, 2_000, 0.5).
--flash-sales-per-year × the run's hours may be at most the 8,760 hours of a year.

Examples:
  npx synclag demo
  npx synclag demo --orders-per-day 800 --aov 45 --currency GBP \\
    --channels amazon,shopify,ebay --polling 30m --out client.html
  npx synclag demo --channels amazon:40%,shopify,ebay    # amazon 40%, shopify and ebay 30% each

Exit codes: 0 written, 2 bad flags (every problem listed), 3 an invariant
checker failed (the report is still written). Details: docs/report.md`,
    )
    .action(async (opts: DemoOptions, command: Command) => {
      const problems = parseProblems(command);
      const notes: string[] = [];
      const number = (flag: string, text: string) => parseNumber(flag, text, problems);
      const positive = (flag: string, text: string, what: string) => {
        const value = number(flag, text);
        if (value === undefined || value > 0) return value;
        problems.push(`${flag} must be more than 0 (${what}), got ${JSON.stringify(text)}`);
        return undefined;
      };
      const rate = (flag: string, text: string) => parseRate(flag, text, problems);
      const ordersPerDay = number("--orders-per-day", opts.ordersPerDay);
      let multiplier = number("--flash-multiplier", opts.flashMultiplier);
      // The demo is a flash sale by definition, and the report counts only a window above 1× as one: at
      // 1× (or less) the whole run, sell-out included, would be scaled to a year as "normal trading".
      if (multiplier !== undefined && !(multiplier > 1)) {
        problems.push(`--flash-multiplier must be more than 1 (demand during the sale as a multiple of normal, e.g. 3 or 10), got ${JSON.stringify(opts.flashMultiplier)}: the demo simulates a flash sale; for normal trading alone, run \`synclag compare --scenario steady-day\``);
        multiplier = undefined;
      }
      const flashMs = parseDuration(opts.flashDuration);
      if (flashMs === undefined || flashMs <= 0) problems.push(`--flash-duration: ${JSON.stringify(opts.flashDuration)} is not a duration (use e.g. 30m, 1h, 2h30m)`);
      const polling = parsePollingList(opts.polling, problems, notes);
      const seed = parseSeed(opts.seed, problems);
      const flashSalesPerYear = parseFlashSalesPerYear(opts.flashSalesPerYear, problems);
      const beforeChannels = problems.length;
      const channels = parseChannels(opts.channels ?? DEFAULT_CHANNELS, problems, notes);
      const channelsRefused = problems.length > beforeChannels;
      const cost = {
        // As typed: the scenario schema reads a code in any case and keeps it in capitals ("gbp" runs as GBP).
        currency: opts.currency,
        averageOrderValue: positive("--aov", opts.aov, "the average order value: a lost sale costs its margin"),
        marginRate: rate("--margin", opts.margin),
        cancellationCost: number("--cancellation-cost", opts.cancellationCost),
        marketplacePenalty: number("--marketplace-penalty", opts.marketplacePenalty),
        churnProbability: rate("--churn", opts.churn),
        customerLifetimeValue: number("--lifetime-value", opts.lifetimeValue),
      };

      const flash = flashMs !== undefined && flashMs > 0 ? flashMs : 3_600_000;
      const stock = demoStock(ordersPerDay ?? 0, multiplier ?? 10, flash);
      const input: ScenarioInput = {
        name: "demo",
        description: `Your flash sale: ${opts.ordersPerDay} orders a day, ${opts.flashMultiplier}× for ${opts.flashDuration} on ${channels.map((c) => c.id).join(", ")}, limited stock (${SKUS} products).`,
        seed: seed ?? 1,
        duration: LEAD_IN_MS + flash + TAIL_MS,
        catalog: { skus: SKUS, stock, popularity: POPULARITY },
        channels,
        demand: { ordersPerDay: ordersPerDay ?? 1, curve: [{ start: LEAD_IN_MS, duration: flash, multiplier: multiplier ?? 1, label: "flash sale" }], agentShare: 0.3 },
        strategies: ["events", ...polling],
        convergenceBudget: "1h",
        cost: Object.fromEntries(Object.entries(cost).filter(([, v]) => v !== undefined)) as ScenarioInput["cost"],
      };
      // 365 flash sales of a 26-hour run (--flash-duration 24h) are more hours than a year has.
      if (flashMs !== undefined && flashMs > 0 && multiplier !== undefined && (opts.flashSalesPerYear === undefined || flashSalesPerYear !== undefined)) {
        const runMs = LEAD_IN_MS + flash + TAIL_MS;
        checkFlashSalesFitAYear({ durationMs: runMs, curve: [{ startMs: LEAD_IN_MS, durationMs: flash, multiplier }] }, flashSalesPerYear, problems, ` with --flash-duration ${opts.flashDuration} (a run of ${(runMs / 3_600_000).toLocaleString("en-US", { maximumFractionDigits: 2 })} h: ${LEAD_IN_MS / 60_000} min before the sale, the sale, ${TAIL_MS / 60_000} min after)`);
      }
      const validated = validateScenario(input, "demo");
      // Already said in --channels' words: the list (or a share) the schema would refuse again.
      if (!validated.ok) problems.push(...validated.problems.filter((p) => !(channelsRefused && /^channels(\.\d+\.share)?: /.test(p))).map((p) => toFlagProblem(p, channels)));
      checkOutputPath("--out", opts.out, problems);
      checkOutputPath("--json", opts.json, problems);
      if (opts.out === STDOUT && opts.json === STDOUT) problems.push("--out and --json both write to stdout (-): send one of them to a file");
      checkDistinctOutputs([["--out", opts.out], ["--json", opts.json]], problems);
      if (problems.length > 0 || !validated.ok) throw new UsageError([...new Set(problems)]);
      for (const note of notes) process.stderr.write(`${note}\n`);

      // Loaded once the flags are valid, not at start-up: --help and usage errors (most of the CLI's runs in CI) need none of it.
      const [{ compare }, { finish }] = await Promise.all([import("@synclag/sim"), import("./shared.js")]);
      const scenario = validated.scenario;
      const progress = createProgress(`simulating your flash sale (${scenario.strategies.join(", ")})`);
      const doc = await compare(scenario, scenario.strategies, scenario.seed, {
        onProgress: (done, total) => progress.update(done, total),
        reproduceCommand: reproduceCommand(process.argv.slice(2)),
      });
      progress.stop();
      const { renderReportHtml } = await import("@synclag/report/html"); // lazily: see report.ts
      const html = renderReportHtml(doc, flashSalesPerYear === undefined ? {} : { flashSalesPerYear });
      // The HTML report on stdout (--out -): the table goes to stderr, so stdout is the page alone.
      const code = finish(doc, { ...opts, ...(opts.out === STDOUT ? { human: process.stderr } : {}) });
      writeReport(opts.out, html);
      process.exitCode = code;
    });
}

/**
 * Each product's stock, a uniform range: on average STOCK_TO_DEMAND of the units the run is expected to
 * sell (a limited-stock sale), but never less than the best seller is expected to sell in the normal
 * trading before the sale, with a margin of four standard deviations — stock is the same for every
 * product, demand is not (Zipf), so without the floor a small sale (--flash-multiplier 2) sold its best
 * sellers out before it began, and that was no flash sale. The floor keeps the mean where it can (a
 * narrower range), and raises it where it must.
 */
export function demoStock(ordersPerDay: number, multiplier: number, flashMs: number): { min: number; max: number } {
  const expectedUnits = (ordersPerDay * (LEAD_IN_MS + TAIL_MS + flashMs * multiplier)) / DAY_MS;
  const mean = Math.max(2, Math.round((STOCK_TO_DEMAND * expectedUnits) / SKUS));
  const bestSellerLeadIn = (Math.max(0, ordersPerDay) * LEAD_IN_MS * TOP_SHARE) / DAY_MS;
  const floor = Math.ceil(bestSellerLeadIn + 4 * Math.sqrt(bestSellerLeadIn) + 1);
  const min = Math.max(1, Math.round(mean * 0.5), floor);
  return { min, max: Math.max(min, min === Math.round(mean * 0.5) ? Math.round(mean * 1.5) : 2 * mean - min) };
}

function parseNumber(flag: string, text: string, problems: string[]): number | undefined {
  const trimmed = text.trim();
  if (!PLAIN_NUMBER.test(trimmed)) {
    problems.push(`${flag} must be a number, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return Number(trimmed.replace(/_/g, ""));
}

/** "30%" or "0.3" → 0.3. */
function parseRate(flag: string, text: string, problems: string[]): number | undefined {
  const percent = /^\s*(.+?)\s*%\s*$/.exec(text);
  const digits = (percent ? (percent[1] as string) : text).trim();
  const value = PLAIN_NUMBER.test(digits) ? Number(digits.replace(/_/g, "")) / (percent ? 100 : 1) : Number.NaN;
  if (text.trim() === "" || !Number.isFinite(value)) {
    problems.push(`${flag} must be a fraction (0.3) or a percentage (30%), got ${JSON.stringify(text)}`);
    return undefined;
  }
  // Margins and probabilities are shares: say so in the user's own terms, not the schema's "<= 1".
  if (value < 0 || value > 1) {
    problems.push(`${flag} must be between 0 and 1 (0% to 100%), got ${JSON.stringify(text)}`);
    return undefined;
  }
  return value;
}

/**
 * "amazon,shopify" (equal shares), "amazon:40%,shopify" (40 % and the remaining 60 %),
 * "amazon:0.4,shopify:0.3,ebay:0.3". A share is a percentage of the orders: `40%`, `40` or `0.4`
 * (a number up to 1 is a fraction, above 1 a percentage). Channels without one split what the others
 * leave equally; the shares given may not add up to more than 100 %, nor leave nothing for a channel
 * without one; if every channel has one and they add up to less, they are scaled up to 100 % (a note
 * says so). A kind used twice gets ids amazon, amazon-2.
 */
export function parseChannels(text: string, problems: string[], notes: string[] = []): Array<{ id: string; kind: "amazon"; share: number }> {
  const before = problems.length;
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) problems.push("--channels needs at least one channel, e.g. --channels amazon,shopify");
  const seen = new Map<string, number>();
  const parsed: Array<{ id: string; kind: "amazon"; percent: number | undefined }> = [];
  let bad = false;
  for (const item of items) {
    const [kindText = "", shareText, ...extra] = item.split(":");
    const kind = kindText.trim().toLowerCase();
    let percent: number | undefined;
    if (shareText !== undefined) {
      const percentSign = /%\s*$/.test(shareText);
      const digits = shareText.replace(/%\s*$/, "").trim();
      const value = PLAIN_NUMBER.test(digits) ? Number(digits.replace(/_/g, "")) : Number.NaN;
      if (extra.length > 0 || shareText.trim() === "" || !Number.isFinite(value) || value <= 0) {
        problems.push(`--channels: share ${JSON.stringify(item.slice(kindText.length + 1))} of ${kind} must be a positive number: a percentage (40% or 40) or a fraction (0.4)`);
        bad = true;
      } else {
        percent = percentSign || value > 1 ? value : value * 100;
        if (percent > 100) {
          problems.push(`--channels: share ${JSON.stringify(shareText)} of ${kind} is more than 100%`);
          bad = true;
        }
      }
    }
    const count = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, count);
    // The kind is validated by the scenario schema (and reported as a --channels problem).
    parsed.push({ id: count === 1 ? kind : `${kind}-${count}`, kind: kind as "amazon", percent });
  }
  const given = parsed.filter((c) => c.percent !== undefined);
  const omitted = parsed.filter((c) => c.percent === undefined);
  const total = given.reduce((sum, c) => sum + (c.percent ?? 0), 0);
  const shown = (percent: number) => `${Math.round(percent * 100) / 100}%`;
  const listing = () => given.map((c) => `${c.id} ${shown(c.percent ?? 0)}`).join(" + ");
  // Rounding slack: 33.33% × 3 is 100%.
  const SLACK = 0.01;
  if (!bad && total > 100 + SLACK) problems.push(`--channels: the shares add up to ${shown(total)} (${listing()}): at most 100%`);
  else if (!bad && omitted.length > 0 && total >= 100 - SLACK) {
    problems.push(`--channels: ${listing()} take${given.length === 1 ? "s" : ""} all the orders, leaving nothing for ${omitted.map((c) => c.id).join(", ")}: lower the shares, or give every channel one`);
  } else if (!bad && omitted.length === 0 && given.length > 0 && total < 100 - 1) {
    notes.push(`--channels: the shares add up to ${shown(total)} (${listing()}): scaled up to 100% (${given.map((c) => `${c.id} ${shown(((c.percent ?? 0) / total) * 100)}`).join(", ")})`);
  }
  const rest = omitted.length > 0 ? (100 - total) / omitted.length : 0;
  // Shares given for some channels only: say what each gets (a bare 2 is 2%, not a weight of 2).
  if (!bad && problems.length === before && given.length > 0 && omitted.length > 0) notes.push(`--channels: ${parsed.map((c) => `${c.id} ${shown(c.percent ?? rest)}`).join(", ")}`);
  // Shares already refused: equal ones, so the schema checks the kinds without repeating the shares' problem.
  if (problems.length > before) return parsed.map((c) => ({ id: c.id, kind: c.kind, share: 1 }));
  // The schema normalises shares over all channels: percentages that add up to 100 are the shares as given.
  return parsed.map((c) => ({ id: c.id, kind: c.kind, share: (c.percent ?? rest) / 100 }));
}

/** "cost.averageOrderValue: Too small…" → "--aov: Too small…". */
function toFlagProblem(problem: string, channels: ReadonlyArray<{ kind: string }>): string {
  const match = /^([^:]+): (.*)$/.exec(problem);
  if (!match) return problem;
  const path = match[1] as string;
  const entry = FLAG_FOR_PATH.find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`));
  if (!entry) return problem;
  let detail = match[2] as string;
  const channelKind = /^channels\.(\d+)\.kind$/.exec(path);
  if (channelKind) detail = `unknown channel kind ${JSON.stringify(channels[Number(channelKind[1])]?.kind ?? "")}: ${detail.replace(/^Invalid option: expected one of (.*)$/, (_all, list: string) => `use one of ${list.replaceAll('"', "").split("|").join(", ")}`)}`;
  return `${entry[1]}: ${detail}`;
}

function reproduceCommand(args: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--out" || arg === "--json") {
      i += 1; // where the files go does not change the run
      continue;
    }
    if (arg.startsWith("--out=") || arg.startsWith("--json=")) continue;
    kept.push(shellQuote(arg));
  }
  return `npx synclag ${kept.join(" ")}`;
}
