// Several replicas, one marketplace account: each engine process keeps its own token bucket per channel,
// so two replicas each at Amazon's 5 calls/s sent 10/s together — 47 of 112 update calls throttled (HA
// review), where one replica had 1 of 61. With `replicas: 2` each takes half of every channel's budget.
import { describe, expect, it } from "vitest";
import { serversMissing } from "./servers.js";
import { startEngine, until, useEngineProcesses } from "./engine-process-support.js";
import { metric, orders, startStack, stopEngine, type Stack } from "./replica-stack-support.js";

describe.skipIf(serversMissing())("replicas: each channel's rate limit divided among the engine processes", () => {
  let s: Stack | undefined;
  const procs = useEngineProcesses(async () => {
    await s?.close();
    s = undefined;
  });

  it("two replicas with replicas: 2 keep Amazon's throttling at the one-replica level, and print their share at start", async () => {
    const SKUS = Array.from({ length: 60 }, (_, i) => `SKU-${i + 1}`);
    s = await startStack({ kinds: ["shopify", "amazon"], skus: SKUS, quantity: 1_000 });
    const st = s;
    const channels = [{ kind: "shopify", baseUrl: `${st.server.url}/shopify` }, { kind: "amazon", baseUrl: `${st.server.url}/amazon`, maxInFlightCalls: 16 }];
    const amazon = st.mocks.get("amazon")!;
    const converged = async () => (await st.stale("amazon", SKUS)).length === 0;

    // One replica (replicas: 1, the default): Amazon's whole 5 calls/s.
    const a = await startEngine("a", { ...st.baseConfig(), channels });
    procs.push(a);
    const before = amazon.model.stats.throttled;
    for (const o of orders(120, SKUS, "shopify", "one")) await st.publisher.publish(o);
    await until("one replica: amazon converged", converged, 90_000);
    const throttledOne = amazon.model.stats.throttled - before;

    // Rolled out as two replicas, each told there are two.
    await stopEngine(a);
    const a2 = await startEngine("a2", { ...st.baseConfig(), channels, replicas: 2 });
    const b = await startEngine("b", { ...st.baseConfig(), channels, replicas: 2 });
    procs.push(a2, b);
    for (const p of [a2, b]) {
      expect(p.lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("channel budgets of this replica"))).toMatchObject({ replicas: 2, channels: { amazon: { ratePerSecond: 2.5, burst: 2, revisionsPerSkuPerDay: 0 }, shopify: { ratePerSecond: 5, burst: 50 } } });
    }
    const mid = amazon.model.stats.throttled;
    for (const o of orders(120, SKUS, "shopify", "two")) await st.publisher.publish(o);
    await until("two replicas: amazon converged", converged, 90_000);
    const throttledTwo = amazon.model.stats.throttled - mid;
    // Both replicas pushed to Amazon (else this measured one replica again).
    const calls = [await metric(a2.url, "push_calls_total", { channel: "amazon" }), await metric(b.url, "push_calls_total", { channel: "amazon" })];
    expect(calls.every((n) => n > 0), `amazon update calls per replica: ${calls.join(", ")}`).toBe(true);
    expect(throttledOne).toBeLessThanOrEqual(2);
    expect(throttledTwo).toBeLessThanOrEqual(2); // without the split: 47 of 112 calls throttled
  }, 240_000);
});
