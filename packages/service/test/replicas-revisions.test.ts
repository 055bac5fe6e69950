// Several replicas, one eBay account: each engine process keeps its own revision counters per listing, so
// two replicas spent about twice what one may (HA review: 13 revisions with one replica, 22 with two; past
// eBay's 250 a day every update of the listing is refused until midnight, sell-outs included). With
// `replicas: 2` each paces its half of the budget.
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { serversMissing } from "./servers.js";
import { sleep, startEngine, useEngineProcesses } from "./engine-process-support.js";
import { orders, startStack, stopEngine, type Stack } from "./replica-stack-support.js";

describe.skipIf(serversMissing())("replicas: eBay's daily revision budget per listing divided among the engine processes", () => {
  let s: Stack | undefined;
  const procs = useEngineProcesses(async () => {
    await s?.close();
    s = undefined;
  });

  it("two replicas with replicas: 2 spend no more revisions of a listing than one replica does", async () => {
    const CAP = 30;
    s = await startStack({ kinds: ["shopify", "ebay"], skus: ["SKU-1", "SKU-2"], quantity: 5_000, profiles: { ebay: { ...DEFAULT_PROFILES.ebay, revisionsPerListingPerDay: CAP } } });
    const st = s;
    const channels = [{ kind: "shopify", baseUrl: `${st.server.url}/shopify` }, { kind: "ebay", baseUrl: `${st.server.url}/ebay`, revisionsPerSkuPerDay: CAP, batchLinger: "0s" }];
    const ebay = st.mocks.get("ebay")!;
    const revisionsOf = (sku: string) => (ebay.model.listing(sku) as unknown as { revisionsToday?: number } | undefined)?.revisionsToday ?? 0;

    // One replica: the whole budget, paced through the UTC day (a burst of a tenth, then evenly).
    const a = await startEngine("a", { ...st.baseConfig(), channels });
    procs.push(a);
    for (const o of orders(60, ["SKU-1"], "shopify", "e1")) {
      await st.publisher.publish(o);
      await sleep(150);
    }
    await sleep(3_000);
    await stopEngine(a);

    // Two replicas, each told there are two: each paces half the budget.
    const a2 = await startEngine("a2", { ...st.baseConfig(), channels, replicas: 2 });
    const b = await startEngine("b", { ...st.baseConfig(), channels, replicas: 2 });
    procs.push(a2, b);
    for (const p of [a2, b]) expect(p.lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("channel budgets of this replica"))).toMatchObject({ channels: { ebay: { revisionsPerSkuPerDay: CAP / 2 } } });
    for (const o of orders(60, ["SKU-2"], "shopify", "e2")) {
      await st.publisher.publish(o);
      await sleep(150);
    }
    await sleep(3_000);
    const oneReplica = revisionsOf("SKU-1");
    const twoReplicas = revisionsOf("SKU-2");
    // Each sale changed the level: one replica spent what its pacing allowed so far today (at least its burst).
    expect(oneReplica).toBeGreaterThanOrEqual(CAP / 10);
    expect(twoReplicas).toBeLessThanOrEqual(oneReplica); // without the split: 22 against 13 (at 08:13 UTC)
    expect(twoReplicas).toBeLessThanOrEqual(CAP);
  }, 240_000);
});
