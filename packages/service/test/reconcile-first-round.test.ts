// A channel added by a (rolling) restart lists the quantities of before the sales made meanwhile: the
// outbox replays only the pushes the previous processes left unconfirmed, and no order touches most SKUs,
// so nothing pushed the truth to it until the reconciler's first round — one interval (15 min) after the
// start (HA review: every SKU "lists 100, truth 95" 20 s after the restart). The service now runs that
// round `reconcileFirstRoundAfter` after the start (default: the interval, 30 s at most).
import { describe, expect, it } from "vitest";
import { serversMissing } from "./servers.js";
import { sleep, startEngine, until, useEngineProcesses } from "./engine-process-support.js";
import { orders, startStack, stopEngine, type Stack } from "./replica-stack-support.js";

describe.skipIf(serversMissing())("the reconciler's first round soon after the start", () => {
  let s: Stack | undefined;
  const procs = useEngineProcesses(async () => {
    await s?.close();
    s = undefined;
  });

  it("a channel added by a rolling restart of two replicas gets the truth within the first-round delay, not 15 min later", async () => {
    const SKUS = Array.from({ length: 10 }, (_, i) => `SKU-${i + 1}`);
    s = await startStack({ kinds: ["shopify", "woocommerce"], skus: SKUS, quantity: 100 });
    const st = s;
    const FIRST_ROUND_MS = 5_000;
    const before = { ...st.baseConfig(), reconcileInterval: "15m", reconcileFirstRoundAfter: "5s", channels: st.channelConfig(["shopify"]) };
    const after = { ...before, channels: st.channelConfig(["shopify", "woocommerce"]) };
    const a = await startEngine("a", before);
    const b = await startEngine("b", before);
    procs.push(a, b);
    // 5 of each SKU sold at the shop's till, which no engine pushes to: every sale is pushed to Shopify
    // (a sale *at* Shopify is taken as already shown there — the mock never saw these).
    for (const o of orders(50, SKUS, "pos", "sold")) await st.publisher.publish(o);
    await until("shopify converged", async () => (await st.stale("shopify", SKUS)).length === 0, 60_000);
    await sleep(6_000); // the outbox sweeps (every 5 s) acknowledge what shopify confirmed: nothing left to replay
    expect(await st.stale("woocommerce", SKUS)).toHaveLength(SKUS.length);

    // The rolling restart that adds WooCommerce: b, then a.
    await stopEngine(b);
    const b2 = await startEngine("b2", after);
    const restartedAtMs = Date.now();
    procs.push(b2);
    await stopEngine(a);
    const a2 = await startEngine("a2", after);
    procs.push(a2);
    expect(b2.lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("reconciler: first round"))).toMatchObject({ firstRoundAfterMs: FIRST_ROUND_MS, intervalMs: 900_000 });
    await until("woocommerce lists the truth", async () => (await st.stale("woocommerce", SKUS)).length === 0, FIRST_ROUND_MS + 15_000);
    // Within the first-round delay of b2's start (and the round's reads and pushes), nowhere near 15 min.
    expect(Date.now() - restartedAtMs).toBeLessThan(FIRST_ROUND_MS + 15_000);
  }, 240_000);
});
