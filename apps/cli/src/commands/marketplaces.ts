// `synclag marketplaces`: starts the mock marketplaces (Amazon SP-API, Shopify Admin, WooCommerce
// REST, Flipkart Seller API, eBay Sell Inventory) over HTTP on loopback, prints each seller-API URL
// and its admin API, and runs until SIGINT/SIGTERM. With --scenario: one mock per scenario channel,
// seeded with the scenario's catalogue (`buildCatalog` for the seed) at each channel's policy quantity —
// the listings `synclag run` seeds — so `synclag-loadgen` can replay the scenario's buyers at them.
// Easy to get wrong: refuse a non-loopback host unless --allow-remote — the admin API has no
// authentication; and with --scenario the default seed is the scenario's, as the load generator's is.

import { Command } from "commander";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import type { MockChannel, channelListings } from "@synclag/mock-marketplaces";
import { buildCatalog, type Scenario } from "@synclag/workload";
import { EXIT, UsageError } from "../cli-error.js";
import { parseScenario, parseSeed } from "../options.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";

interface MarketplacesFlags {
  port: string;
  host: string;
  allowRemote?: boolean;
  ingestUrl?: string;
  skus: string;
  stock: string;
  prefix: string;
  kinds: string;
  layout: string;
  latency: string;
  scenario?: string;
  seed?: string;
  retryScale: string;
  timeLapse?: string;
  json?: boolean;
}

/**
 * The fetch standard's blocked ports ("bad ports"): Node's fetch — synclag-loadgen's, `synclag run`'s
 * load generator's — refuses them ("bad port") though curl reaches them. The list is the loadgen
 * preflight's (apps/loadgen/src/preflight.ts `FETCH_BLOCKED_PORTS`).
 */
const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135,
  137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720,
  1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

function integer(name: string, text: string, min: number, max: number, problems: string[]): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return min;
  }
  return Number(text);
}

function parseFlags(flags: MarketplacesFlags, given: (option: string) => boolean, parseProblems: readonly string[], isLoopback: (host: string) => boolean) {
  const problems: string[] = [...parseProblems];
  const port = integer("--port", flags.port, 0, 65_535, problems);
  const skus = integer("--skus", flags.skus, 0, 1_000_000, problems);
  const stock = integer("--stock", flags.stock, 0, 1_000_000_000, problems);
  const givenSeed = parseSeed(flags.seed, problems);
  let scenario: Scenario | undefined;
  if (flags.scenario !== undefined) {
    scenario = parseScenario(flags.scenario, problems);
    for (const [option, flag] of [["kinds", "--kinds"], ["skus", "--skus"], ["stock", "--stock"], ["prefix", "--prefix"]] as const) {
      if (given(option)) problems.push(`${flag} cannot be combined with --scenario: the mocks are the scenario's channels, seeded with its catalogue`);
    }
  }
  const seed = givenSeed ?? scenario?.seed ?? 1;
  const kinds = flags.kinds.split(",").map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(MARKETPLACE_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0) problems.push("--kinds needs at least one marketplace");
  if (unknown.length > 0) problems.push(`--kinds: unknown marketplace(s) ${unknown.join(", ")}; known: ${MARKETPLACE_KINDS.join(", ")}`);
  if (new Set(kinds).size !== kinds.length) problems.push("--kinds lists a marketplace twice");
  if (!isLoopback(flags.host) && !flags.allowRemote) problems.push(`--host ${flags.host} is not a loopback address; the mocks (and their unauthenticated admin API) listen on loopback only unless --allow-remote is given`);
  if (flags.layout !== "port-per-kind" && flags.layout !== "single-port") problems.push(`--layout must be port-per-kind or single-port, got ${JSON.stringify(flags.layout)}`);
  if (flags.latency !== "none" && flags.latency !== "profile") problems.push(`--latency must be none or profile, got ${JSON.stringify(flags.latency)}`);
  let timeLapse: number | undefined;
  if (flags.timeLapse !== undefined) {
    timeLapse = Number(flags.timeLapse);
    if (!/^\d+(?:\.\d+)?$/.test(flags.timeLapse.trim()) || !(timeLapse >= 1 && timeLapse <= 100_000)) problems.push(`--time-lapse must be a number from 1 to 100000 (how many times faster the marketplaces run), got ${JSON.stringify(flags.timeLapse)}`);
  }
  // A time-lapse speeds up the notification retries too, unless --retry-scale says otherwise.
  const retryScale = timeLapse !== undefined && timeLapse >= 1 && !given("retryScale") ? 1 / timeLapse : Number(flags.retryScale);
  if (!(retryScale > 0 && retryScale <= 1)) problems.push(`--retry-scale must be a number in (0, 1], got ${JSON.stringify(flags.retryScale)}`);
  if (flags.ingestUrl !== undefined) {
    try {
      const url = new URL(flags.ingestUrl.replaceAll("{kind}", "kind"));
      if (url.protocol !== "http:" && url.protocol !== "https:") problems.push(`--ingest-url must be http(s), got ${url.protocol}`);
    } catch {
      problems.push(`--ingest-url is not a URL: ${JSON.stringify(flags.ingestUrl)}`);
    }
  }
  const count = scenario ? scenario.channels.length : kinds.length;
  if (port !== 0 && flags.layout === "port-per-kind" && port + count - 1 > 65_535) problems.push(`--port ${port} leaves no room for ${count} marketplaces`);
  else if (port !== 0) {
    const ports = flags.layout === "single-port" ? [port] : Array.from({ length: count }, (_, i) => port + i);
    const blocked = ports.filter((p) => FETCH_BLOCKED_PORTS.has(p));
    if (blocked.length > 0) problems.push(`--port ${port} puts a marketplace on port ${blocked.join(", ")}, on the fetch standard's blocked-port list: Node's fetch (synclag-loadgen) refuses it though curl does not; choose another --port`);
  }
  if (problems.length > 0) throw new UsageError(problems);
  return { port, skus, stock, seed, scenario, kinds: kinds as MarketplaceKind[], retryScale, timeLapse, layout: flags.layout as "port-per-kind" | "single-port", latency: flags.latency as "none" | "profile" };
}

/** One mock per scenario channel, listing the scenario's catalogue (for `seed`) at the channel's policy quantity. */
function scenarioChannels(scenario: Scenario, seed: number, listingsAt: typeof channelListings): MockChannel[] {
  const catalog = buildCatalog(scenario, seed);
  return scenario.channels.map((spec) => ({ id: spec.id, kind: spec.kind, listings: listingsAt(catalog, spec.policy) }));
}

export function marketplacesCommand(): Command {
  return listsParseProblems(new Command("marketplaces"))
    .description("Start mock marketplaces (Amazon SP-API, Shopify Admin, WooCommerce REST, Flipkart Seller API, eBay Sell Inventory) over HTTP on loopback, with their rate limits, throttle replies, accepted-vs-visible delays and signed order notifications.")
    .option("--port <n>", "base port: marketplace i listens on port+i (or all on this port with --layout single-port); 0 = free ports", "0")
    .option("--host <address>", "address to listen on (loopback only unless --allow-remote)", "127.0.0.1")
    .option("--allow-remote", "allow a non-loopback --host (the admin API is unauthenticated)")
    .option("--ingest-url <url>", "where order notifications are POSTed; {kind} is replaced by the marketplace kind, {channel} by the channel id (e.g. http://127.0.0.1:8080/ingest/{channel})")
    .option("--scenario <name|file>", "one mock per channel of this scenario (built-in name or .json/.yaml file), seeded with its catalogue at each channel's policy quantity — what synclag-loadgen --scenario buys from")
    .option("--skus <n>", "listings seeded in every marketplace", "100")
    .option("--stock <n>", "quantity of each seeded listing", "50")
    .option("--prefix <text>", "SKU prefix of seeded listings", "sku-")
    .option("--kinds <list>", "marketplaces to start, comma-separated", MARKETPLACE_KINDS.join(","))
    .option("--layout <layout>", "port-per-kind or single-port (path prefix /<kind>)", "port-per-kind")
    .option("--latency <mode>", "profile: each seller-API call takes the profile's sampled round trip — the update applies half-way, the reply comes at its end; none: only injected latency", "profile")
    .option("--seed <n>", "seed of every random draw (faults, delays, duplicates) and, with --scenario, of its catalogue's stock (default: the scenario's seed, else 1)")
    .option("--retry-scale <x>", "multiplier on notification retry schedules (Shopify's 8 retries over 4 h → 14.4 s at 0.001; with --time-lapse N: 1/N)", "0.001")
    .option("--time-lapse <factor>", "run the marketplaces <factor>× faster, as synclag run --marketplace-time scaled does for a compressed scenario: API latency, visibility and notification delays ÷ factor, rate limits × factor (e.g. 180 for bench/k6/flash-sale.js; docs/k6.md)")
    .option("--json", "print the URLs as one JSON line instead of a table")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  npx synclag marketplaces",
        "  npx synclag marketplaces --port 7000 --kinds amazon,shopify --skus 10 --stock 5",
        "  npx synclag marketplaces --ingest-url 'http://127.0.0.1:8080/ingest/{kind}' --latency none",
        "  npx synclag marketplaces --scenario flash-sale --port 9001    # then: npx synclag-loadgen --scenario flash-sale --storefront …",
        "  npx synclag marketplaces --port 9001 --kinds amazon,shopify,woocommerce,flipkart --skus 0 --time-lapse 180 --ingest-url 'http://127.0.0.1:8080/ingest/{kind}'   # for bench/k6/flash-sale.js",
        "",
        "Try it (with --port 7000):",
        "  curl -s -X PATCH 'http://127.0.0.1:7000/listings/2021-08-01/items/A2SYNCLAGMOCK/sku-1?marketplaceIds=ATVPDKIKX0DER' \\",
        "    -H 'x-amz-access-token: Atza|synclag-mock-access-token' -H 'content-type: application/json' -H 'x-synclag-version: 2' \\",
        `    -d '{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":7}]}]}'`,
        "  curl -s http://127.0.0.1:7000/_synclag/admin/listings/sku-1      # accepted vs visible, timeline",
        `  curl -s -X POST http://127.0.0.1:7000/_synclag/admin/faults -d '{"outageMs":30000}'   # down for 30 s from now; {"outageMs":0} ends it`,
        `  curl -s -X POST http://127.0.0.1:7000/_synclag/storefront/checkout -d '{"sku":"sku-1","quantity":1}'`,
        "",
        "Credentials the mocks accept are the test defaults printed at start; stop with Ctrl-C (SIGINT) or SIGTERM.",
        "Exit codes: 0 stopped by a signal, 2 bad flags, 4 could not listen.",
      ].join("\n"),
    )
    .action(async (flags: MarketplacesFlags, command: Command) => {
      // Loaded here, not at start-up: --help and every other command would pay for the mocks.
      const { DEFAULT_MOCK_CREDENTIALS, channelListings, isLoopback, startMockMarketplaces } = await import("@synclag/mock-marketplaces");
      const parsed = parseFlags(flags, (option) => command.getOptionValueSource(option) === "cli", parseProblems(command), isLoopback);
      // The service (its time-lapse rule, as `synclag run --marketplace-time scaled` applies it) only for --time-lapse.
      const timeLapsedProfile = parsed.timeLapse === undefined ? undefined : (await import("@synclag/service")).timeLapsedProfile;
      let running;
      try {
        running = await startMockMarketplaces({
          ...(parsed.scenario ? { channels: scenarioChannels(parsed.scenario, parsed.seed, channelListings) } : { kinds: parsed.kinds, seedListings: { count: parsed.skus, stock: parsed.stock, prefix: flags.prefix } }),
          host: flags.host,
          allowRemote: Boolean(flags.allowRemote),
          port: parsed.port,
          layout: parsed.layout,
          seed: parsed.seed,
          latency: parsed.latency,
          notificationRetryTimeScale: parsed.retryScale,
          ...(parsed.timeLapse === undefined || timeLapsedProfile === undefined
            ? {}
            : { profiles: Object.fromEntries(MARKETPLACE_KINDS.map((kind) => [kind, timeLapsedProfile(DEFAULT_PROFILES[kind], parsed.timeLapse as number)])) }),
          ...(flags.ingestUrl ? { ingestUrl: flags.ingestUrl } : {}),
        });
      } catch (error) {
        process.stderr.write(`synclag marketplaces: ${(error as Error).message}\n`);
        process.exitCode = EXIT.environment;
        return;
      }
      const rows = running.marketplaces.map((m) => ({ channel: m.channel, kind: m.kind, url: m.url, admin: m.adminUrl, storefront: `${m.url}/_synclag/storefront` }));
      const scenario = parsed.scenario;
      if (flags.json) process.stdout.write(JSON.stringify({ marketplaces: rows, ingestUrl: flags.ingestUrl ?? null, scenario: scenario?.name ?? null, seed: parsed.seed, timeLapse: parsed.timeLapse ?? null }) + "\n");
      else {
        const names = rows.map((r) => (r.channel === r.kind ? r.kind : `${r.channel} (${r.kind})`));
        const width = Math.max(...names.map((n) => n.length));
        const seeded = scenario ? `scenario ${scenario.name}: ${scenario.catalog.skus} SKUs at each channel's policy quantity` : `${parsed.skus} listings × ${parsed.stock} seeded`;
        process.stdout.write(`mock marketplaces on ${flags.host} (${seeded}, latency ${parsed.latency}${parsed.timeLapse === undefined ? "" : `, time-lapse ${parsed.timeLapse}×`}, seed ${parsed.seed}):\n`);
        rows.forEach((r, i) => process.stdout.write(`  ${(names[i] ?? r.kind).padEnd(width)}  ${r.url}   admin ${r.admin}\n`));
        if (scenario) {
          const storefronts = rows.map((r) => `--storefront ${r.channel}=${r.url}`).join(" ");
          process.stdout.write(`load generator: npx synclag-loadgen --scenario ${flags.scenario ?? scenario.name}${flags.seed === undefined ? "" : ` --seed ${parsed.seed}`} ${storefronts}\n`);
        }
        process.stdout.write(`order notifications → ${flags.ingestUrl ?? "(none: --ingest-url not given)"}\n`);
        const c = DEFAULT_MOCK_CREDENTIALS;
        process.stdout.write(
          `credentials: amazon seller ${c.amazon.sellerId} token ${c.amazon.accessToken} · shopify token ${c.shopify.accessToken} · woocommerce ${c.woocommerce.consumerKey}:${c.woocommerce.consumerSecret} · flipkart app ${c.flipkart.appId}:${c.flipkart.appSecret} · ebay token ${c.ebay.accessToken}\n`,
        );
        process.stdout.write("version of a push: header X-Synclag-Version (stand-in). Ctrl-C to stop.\n");
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`\n${signal}: stopping mock marketplaces\n`);
          resolve();
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      await running.close();
      process.exitCode = EXIT.ok;
    });
}
