// `synclag run` compresses the scenario, never the marketplaces' clocks: the mocks stamp each order with
// the wall-clock time it was placed (`createdAtMs` = Date.now, no clock given), so its notification's
// order time (`confirmedAtMs`) is seconds old when the ingest judges it — however many scenario days the
// run spans. The ingest's replay rules (an order older than the store can deduplicate is ignored;
// Flipkart's signature is taken with other bodies only shortly after its first sighting) must therefore
// refuse none of a time-lapsed run's notifications — even two weeks of trading, longer than the store's
// 7-day memory, with Flipkart sending many orders per second under the same signature.
import { describe, expect, it } from "vitest";
import { validateScenario } from "@synclag/workload";
import { runReal } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("synclag run: order times in a time-lapse", () => {
  it("14 days of trading in 4 s: every notification taken, none refused for its order time or a reused Flipkart signature", async () => {
    const loaded = validateScenario(
      {
        name: "fortnight",
        duration: "14d",
        catalog: { skus: 5, stock: 1000, popularity: 0 },
        channels: [
          { id: "shopify", kind: "shopify", share: 0.5, profile: { notifications: { attemptFailureRate: 0, duplicateRate: 0 } } },
          { id: "flipkart", kind: "flipkart", share: 0.5, profile: { notifications: { attemptFailureRate: 0, duplicateRate: 0 } } },
        ],
        demand: { ordersPerDay: 8, agentShare: 0 },
      },
      "test",
    );
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const log = captureLog("info");
    const doc = await runReal({ scenario: loaded.scenario, strategy: "events", seed: 2, durationMs: 4_000, convergenceTimeoutMs: 30_000, logger: log.logger });
    const real = doc.strategies[0];
    // ~110 orders in 4 s: Flipkart's share sends several a second, each second's under one signature.
    expect(real?.orders.accepted).toBeGreaterThan(60);
    expect(real?.orders.unnotified).toBe(0);
    expect(real?.checks.filter((c) => !c.ok)).toEqual([]);
    const refusals = log.lines.filter((l) => /older than the store can deduplicate|ahead of this host's clock|signature headers already came/.test(String(l.msg)));
    expect(refusals).toEqual([]);
  }, 90_000);
});
