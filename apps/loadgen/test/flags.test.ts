import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLoadgenFlags, type LoadgenFlags } from "../src/flags.js";

const flashSaleStorefronts = ["amazon=http://127.0.0.1:9001", "shopify=http://127.0.0.1:9002", "flipkart=http://127.0.0.1:9003/", "woocommerce=http://127.0.0.1:9004"];
const flags = (overrides: Partial<LoadgenFlags> = {}): LoadgenFlags => ({ scenario: "flash-sale", storefront: flashSaleStorefronts, duration: "30s", lateTolerance: "250ms", ...overrides });
const problemsOf = (overrides: Partial<LoadgenFlags>) => {
  const parsed = parseLoadgenFlags(flags(overrides));
  if (parsed.ok) throw new Error("expected problems");
  return parsed.problems;
};

describe("parseLoadgenFlags", () => {
  it("plans the scenario compressed into --duration, at the scenario's seed, one storefront per channel", () => {
    const parsed = parseLoadgenFlags(flags());
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    expect(parsed.plan.seed).toBe(parsed.plan.scenario.seed);
    expect(parsed.plan.timeScale).toBeCloseTo(30_000 / (3 * 3_600_000));
    expect(parsed.plan.storefronts.get("flipkart")).toBe("http://127.0.0.1:9003");
  });

  it("takes a decimal --seed up to the scenario file's limit (2^53 − 1) only, naming the limit", () => {
    const parsed = parseLoadgenFlags(flags({ seed: "42" }));
    expect(parsed.ok && parsed.plan.seed).toBe(42);
    const largest = parseLoadgenFlags(flags({ seed: "9007199254740991" }));
    expect(largest.ok && largest.plan.seed).toBe(Number.MAX_SAFE_INTEGER);
    for (const seed of ["-3", "0x10", "1e3", "1.5", "", "x", "9007199254740992"]) expect(problemsOf({ seed }), seed).toEqual([`--seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got ${JSON.stringify(seed)}`]);
  });

  it("refuses a storefront for a channel the scenario does not have, naming the scenario's channels", () => {
    const problems = problemsOf({ storefront: [...flashSaleStorefronts, "ebay=http://127.0.0.1:9005"] });
    expect(problems).toEqual(["--storefront: ebay is not a channel of the scenario (scenario flash-sale has channels amazon, shopify, flipkart, woocommerce)"]);
  });

  it("lists every problem at once: missing storefronts, a bad pair, a channel twice, bad duration and rate", () => {
    const problems = problemsOf({ storefront: ["amazon=http://a", "amazon=http://b", "shopify"], duration: "0s", rate: "fast", lateTolerance: "soon" });
    expect(problems).toHaveLength(6);
    expect(problems.join("\n")).toMatch(/--duration.*--late-tolerance.*--rate.*channel amazon is given twice.*"shopify" is not channel=http.*no URL for the scenario's channels shopify, flipkart, woocommerce/s);
  });

  it("refuses a --duration longer than the scenario: it is compressed into --duration, never stretched", () => {
    expect(problemsOf({ duration: "999h" })).toEqual(["--duration 999h is longer than the scenario (flash-sale: 3h): the scenario is compressed into --duration, so it can be at most 3h (e.g. --duration 30s)"]);
    expect(parseLoadgenFlags(flags({ duration: "3h" })).ok).toBe(true);
  });

  it("names the scenario file in each of its problems", () => {
    const file = join(mkdtempSync(join(tmpdir(), "loadgen-")), "bad.yaml");
    writeFileSync(file, "name: bad\nduration: xx\n");
    const problems = problemsOf({ scenario: file, storefront: ["shop=http://127.0.0.1:1"] });
    expect(problems.length).toBeGreaterThan(1);
    for (const problem of problems) expect(problem.startsWith(`scenario ${file}: `), problem).toBe(true);
    expect(problemsOf({ scenario: "nope" })).toEqual([expect.stringMatching(/^unknown scenario "nope": built-ins are /)]);
  });
});

describe("parseLoadgenFlags: required flags and --rate, with the other problems", () => {
  it("lists a missing --scenario and --storefront together with the other bad flags", () => {
    const parsed = parseLoadgenFlags({ duration: "0s", seed: "x", lateTolerance: "250ms" });
    if (parsed.ok) throw new Error("expected problems");
    expect(parsed.problems).toEqual([
      "required option '--scenario <name|file>' not specified",
      '--duration: "0s" is not a positive duration (e.g. 30s, 2m)',
      '--seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got "x"',
      "required option '--storefront <channel=url>' not specified (one per scenario channel)",
    ]);
  });

  it("names the missing unit of a bare --duration number instead of calling it not positive", () => {
    const parsed = parseLoadgenFlags({ duration: "10", lateTolerance: "250ms" });
    if (parsed.ok) throw new Error("expected problems");
    expect(parsed.problems).toContain('--duration: "10" has no unit: write e.g. 10s or 10ms');
    expect(parsed.problems.join("\n")).not.toContain("not a positive duration");
  });

  it("holds --rate to the scenario's limits (peak rate, expected orders), like the scenario's own rate", () => {
    const problems = problemsOf({ rate: "1000000/s", seed: "x" });
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/^--rate 1000000\/s is beyond the scenario's limits \(flash-sale compressed into 30s, its ordersPerDay becomes 2\.40e\+8\): demand\.ordersPerDay: peak rate/);
    const within = parseLoadgenFlags(flags({ rate: "50/s" }));
    expect(within.ok && within.plan.scenario.demand.ordersPerDay).toBeCloseTo(12_000);
  });
});
