// The run examples in docs/k6.md, each held to one consistent setup. The k6 script only measures what the
// three processes agree on: setup() lists the catalogue in the STOREFRONTS mocks only and teardown waits
// for the lags of every channel the engine pushes to, so an engine syncing a channel the k6 run has no
// storefront for fails every run (sync_lag_unsettled, after SETTLE_MAX); and the mocks and the engine's
// budgets must run at the buyers' time-lapse (3 h ÷ DURATION).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { loadServiceConfig } from "../src/config.js";
import { timeLapsedProfile } from "../src/time-lapse-profile.js";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** Shell words of one command line (single and double quotes, no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** `--flag value` pairs of a command (repeatable flags collect every value). */
function flags(argv: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!word.startsWith("-") || i + 1 >= argv.length) continue;
    found.set(word, [...(found.get(word) ?? []), argv[i + 1] as string]);
    i += 1;
  }
  return found;
}

/** The ```sh blocks of docs/k6.md that run the script, as their commands (continuation lines joined). */
function runExamples(): Array<{ text: string; commands: string[][] }> {
  const docs = read("docs/k6.md");
  return [...docs.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .filter((text) => /^k6 run /m.test(text))
    .map((text) => ({ text, commands: text.replace(/\\\n\s*/g, " ").split("\n").map((line) => words(line.trim())).filter((argv) => argv.length > 0) }));
}

function durationMs(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === "") throw new Error(`unexpected DURATION ${text}`);
  return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000;
}

/** The script's own defaults, from its source. */
function scriptDefault(name: string): string {
  const match = new RegExp(`env\\("${name}", "([^"]*)"\\)`).exec(read("bench/k6/flash-sale.js"));
  if (!match) throw new Error(`no default for ${name} in flash-sale.js`);
  return match[1] as string;
}

const THREE_HOURS_MS = 3 * 3600 * 1000;

describe("docs/k6.md: every run example is one setup — mocks, engine and k6 agree", () => {
  const examples = runExamples();

  it("has the examples (all four channels, two storefronts, DURATION=2m)", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(examples.some((e) => e.text.includes("STOREFRONTS=amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002"))).toBe(true);
    expect(examples.some((e) => e.text.includes("DURATION=2m"))).toBe(true);
  });

  for (const [index, example] of runExamples().entries()) {
    it(`example ${index + 1} (${example.commands.find((c) => c[0] === "k6")?.join(" ").slice(0, 90)}…) names the mocks and the engine, syncing exactly its storefronts at its time-lapse`, () => {
      const mocks = example.commands.find((c) => c[0] === "npx" && c[2] === "marketplaces");
      const engine = example.commands.find((c) => c[0] === "npx" && c[2] === "engine");
      const k6 = example.commands.find((c) => c[0] === "k6") as string[];
      expect(mocks, "the example starts the mocks it runs against").toBeDefined();
      expect(engine, "the example starts the engine it measures").toBeDefined();

      const env = Object.fromEntries((flags(k6).get("-e") ?? []).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
      const storefronts = (env["STOREFRONTS"] ?? scriptDefault("STOREFRONTS")).split(",").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)] as const);
      const duration = durationMs(env["DURATION"] ?? scriptDefault("DURATION"));
      const factor = THREE_HOURS_MS / duration;

      // The mocks: exactly the storefronts' marketplaces, on the ports STOREFRONTS names, at the buyers' time-lapse.
      const mockFlags = flags(mocks as string[]);
      const kinds = (mockFlags.get("--kinds")?.[0] ?? "").split(",");
      const firstPort = Number(mockFlags.get("--port")?.[0]);
      expect([...kinds].sort()).toEqual(storefronts.map(([channel]) => channel).sort());
      for (const [channel, url] of storefronts) expect(url, channel).toBe(`http://127.0.0.1:${firstPort + kinds.indexOf(channel)}`);
      expect(Number(mockFlags.get("--time-lapse")?.[0]), "--time-lapse = 3 h ÷ DURATION").toBe(factor);

      // The engine: exactly the storefronts' channels, at their URLs, with budgets time-lapsed as the mocks.
      const engineFlags = flags(engine as string[]);
      const config = loadServiceConfig({ config: fileURLToPath(new URL(engineFlags.get("--config")?.[0] ?? "", root)), channel: engineFlags.get("--channel") ?? [], port: engineFlags.get("--port")?.[0] }, {});
      expect(config.channels.map((c) => [c.id, c.baseUrl]).sort()).toEqual(storefronts.map(([channel, url]) => [channel, url]).sort());
      for (const channel of config.channels) {
        const lapsed = timeLapsedProfile(DEFAULT_PROFILES[channel.kind as MarketplaceKind], factor);
        expect(channel.rateLimit, `${channel.id}: the engine's budget at ${factor}×`).toEqual(lapsed.clientRateLimit);
        expect(channel.batchLinger ?? 0, `${channel.id}: the batch linger at ${factor}×`).toBe(lapsed.batchLingerMs ?? 0);
      }

      // The mocks notify this engine, and k6 reads it.
      const enginePort = engineFlags.get("--port")?.[0];
      expect(mockFlags.get("--ingest-url")?.[0]).toBe(`http://127.0.0.1:${enginePort}/ingest/{kind}`);
      expect(env["ENGINE_URL"] ?? scriptDefault("ENGINE_URL")).toBe(`http://127.0.0.1:${enginePort}`);
    });
  }
});
