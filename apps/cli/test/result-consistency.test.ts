// A result document whose figures contradict each other is a bad result file (exit 2, every problem
// with its path, nothing checked or written): a negative oversold count would pass oversells:count<=0,
// and a hand-edited cost.total would become the report's headline while section 5 adds up to another.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

type Doc = { strategies: Array<{ strategy: string; orders: Record<string, number>; cost: Record<string, number | string> }> };

function compared(): { dir: string; doc: Doc } {
  const dir = scratchDir("synclag-consistency-");
  writeFileSync(join(dir, "s.yaml"), SMALL_SCENARIO.join("\n"));
  const result = runCli(["compare", "--scenario", join(dir, "s.yaml"), "--polling", "15m", "--json", join(dir, "r.json")]);
  expect(result.code, result.stderr).toBe(0);
  return { dir, doc: JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as Doc };
}

describe("result documents whose figures contradict each other", LONG, () => {
  it("gate --result refuses a negative oversold count instead of passing oversells:count<=0", () => {
    const { dir, doc } = compared();
    (doc.strategies[0] as Doc["strategies"][number]).orders.oversold = -3;
    writeFileSync(join(dir, "bad.json"), JSON.stringify(doc));
    const result = runCli(["gate", "--result", join(dir, "bad.json"), "--threshold", "oversells:count<=0"]);
    expectUsageError(result, "gate");
    expect(result.stderr).toContain("strategies[0].orders.oversold: must be a whole number ≥ 0, got -3");
    expect(result.stdout).not.toContain("PASS");
  });

  it("report refuses a cost.total the counts do not give, and a strategy in another currency, listing both, writing nothing", () => {
    const { dir, doc } = compared();
    const polling = doc.strategies[1] as Doc["strategies"][number];
    const total = polling.cost.total;
    polling.cost.total = 999;
    (doc.strategies[0] as Doc["strategies"][number]).cost.currency = "USD";
    writeFileSync(join(dir, "bad.json"), JSON.stringify(doc));
    const result = runCli(["report", join(dir, "bad.json"), "--out", join(dir, "r.html")]);
    expectUsageError(result, "report");
    expect(result.stderr).toContain(`strategies[1].cost.total: must be ${total}, the cost model (scenario.cost) applied to orders.oversold ${polling.orders.oversold} and orders.lostSales ${polling.orders.lostSales}, got 999`);
    expect(result.stderr).toContain('strategies[0].cost.currency: must be the scenario\'s currency "EUR" (scenario.cost.currency), got "USD"');
    expect(existsSync(join(dir, "r.html"))).toBe(false);
  });
});
