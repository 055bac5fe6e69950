// The webhook balancer's readiness: `/readyz/ingest`. Found by review (two replicas behind a load
// balancer): during a Redis outage `/readyz` (NATS, Redis and the stock marker in one answer) took BOTH
// replicas out of the balancer although each could still store webhooks in JetStream — and WooCommerce
// never redelivers (it disables the webhook after more than 5 consecutive failures), so its sales were
// lost. The ingest probe is ready whenever a webhook can be stored durably (NATS answers, the orders
// stream is there), whatever Redis does; `/readyz` stays the whole-engine check.
import { describe, expect, it } from "vitest";
import { probe, quantityOf, startEngine, startServers, until, wooWebhook, type Servers, useEngineProcesses } from "./engine-process-support.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("/readyz/ingest: the probe for the webhook load balancer", () => {
  let servers: Servers | undefined;
  const procs = useEngineProcesses(async () => {
    await servers?.close();
    servers = undefined;
  });

  it("Redis down: /readyz is 503 on both replicas, /readyz/ingest 200 — a webhook is taken, and applied once Redis is back", async () => {
    servers = await startServers(["SKU-1"], 100);
    const s = servers;
    const a = await startEngine("a", s.config());
    const b = await startEngine("b", s.config());
    procs.push(a, b);
    expect([(await probe(a.url, "/readyz/ingest")).status, (await probe(b.url, "/readyz/ingest")).status]).toEqual([200, 200]);

    await s.redis.kill();
    for (const p of [a, b]) await until(`${p.name}: /readyz 503 with Redis down`, async () => (await probe(p.url, "/readyz")).status === 503, 15_000, 200);
    const ingestReady = [await probe(a.url, "/readyz/ingest"), await probe(b.url, "/readyz/ingest")];
    expect(ingestReady.map((r) => r.status)).toEqual([200, 200]);
    expect(ingestReady[0]?.body).toEqual({ ready: true, scope: "ingest", checks: { nats: { ok: true, detail: expect.stringMatching(/^stream ORDERS present/) } } });

    const webhook = wooWebhook(b.url, 7_001, "SKU-1");
    const answer = await fetch(webhook.url, webhook.init);
    expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 200, body: { orderId: "woocommerce:7001", duplicate: false } });

    await s.redis.restart();
    await until("the order is applied once Redis is back", async () => (await quantityOf(s.store, "SKU-1")) === 99, 30_000, 200);
    await until("/readyz is 200 again", async () => (await probe(a.url, "/readyz")).status === 200, 15_000, 200);
  }, 120_000);

  it("NATS down: /readyz/ingest is 503 (a webhook cannot be stored), saying why", async () => {
    servers = await startServers(["SKU-1"], 100);
    const s = servers;
    const a = await startEngine("a", s.config());
    procs.push(a);
    expect((await probe(a.url, "/readyz/ingest")).status).toBe(200);
    await s.nats.kill();
    await until("/readyz/ingest 503 with NATS down", async () => (await probe(a.url, "/readyz/ingest", 5_000)).status === 503, 15_000, 200);
    const refused = await probe(a.url, "/readyz/ingest", 5_000);
    expect(refused.body).toMatchObject({ ready: false, scope: "ingest", checks: { nats: { ok: false } } });
    expect((await probe(a.url, "/readyz", 8_000)).status).toBe(503);
  }, 120_000);
});
