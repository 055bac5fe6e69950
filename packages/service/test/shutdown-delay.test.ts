// The drain window on SIGTERM (`shutdownDelay`). Found by review: on SIGTERM the listener closed at
// once, so in a rolling restart the webhooks a load balancer still routed here (it drops the endpoint
// asynchronously) hit a closed port — WooCommerce's are lost, it never redelivers — while the docs said
// /readyz answers 503 "while shutting down". With a delay the service first answers 503 on both
// readiness probes while it still takes (and stores, and applies) webhooks, then stops as before: new
// connections are refused only after the delay, and the whole stop stays inside shutdownTimeout.
import { describe, expect, it } from "vitest";
import { connects, probe, quantityOf, sleep, startEngine, startServers, until, wooWebhook, type Servers, useEngineProcesses } from "./engine-process-support.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("SIGTERM with a shutdownDelay: readiness 503 while webhooks are still taken", () => {
  let servers: Servers | undefined;
  const procs = useEngineProcesses(async () => {
    await servers?.close();
    servers = undefined;
  });

  it("answers 503 on /readyz and /readyz/ingest, takes and applies a webhook during the delay, refuses connections after it, exits 0 within shutdownTimeout", async () => {
    const DELAY_MS = 3_000;
    const TIMEOUT_MS = 10_000;
    servers = await startServers(["SKU-1"], 100);
    const s = servers;
    const a = await startEngine("a", s.config({ shutdownDelay: "3s", shutdownTimeout: "10s" }));
    procs.push(a);
    // Printed at start with the rest of the configuration.
    expect(a.lines.find((l) => l.msg === "starting the synclag engine")?.config).toMatchObject({ shutdownDelay: DELAY_MS, shutdownTimeout: TIMEOUT_MS });
    expect((await probe(a.url, "/readyz")).status).toBe(200);

    // From the signal on, every 50 ms: does a new connection get in?
    const t0 = Date.now();
    a.child.kill("SIGTERM");
    const accepted: number[] = [];
    const refused: number[] = [];
    const watching = (async () => {
      while (a.child.exitCode === null && a.child.signalCode === null) {
        const at = Date.now() - t0;
        ((await connects(a.port)) ? accepted : refused).push(at);
        await sleep(50);
      }
    })();
    await sleep(300);
    const readyz = await probe(a.url, "/readyz");
    const ingestReadyz = await probe(a.url, "/readyz/ingest");
    const webhook = wooWebhook(a.url, 7_002, "SKU-1");
    const answer = await fetch(webhook.url, webhook.init);
    const answered = { status: answer.status, body: (await answer.json()) as unknown };
    const answeredAtMs = Date.now() - t0;
    await until("the order taken during the delay is applied", async () => (await quantityOf(s.store, "SKU-1")) === 99, DELAY_MS, 50);
    const exit = await a.exited;
    await watching;

    expect(readyz).toMatchObject({ status: 503, body: { ready: false, detail: expect.stringMatching(/^shutting down/) } });
    expect(ingestReadyz).toMatchObject({ status: 503, body: { ready: false, detail: expect.stringMatching(/^shutting down/) } });
    expect(answered).toEqual({ status: 200, body: { orderId: "woocommerce:7002", duplicate: false } });
    expect(answeredAtMs).toBeLessThan(DELAY_MS);
    // Connections were taken for the whole delay, refused after it, until the process exited.
    expect(accepted.filter((at) => at < DELAY_MS - 200).length).toBeGreaterThan(5);
    expect(refused.length).toBeGreaterThan(0);
    expect(Math.min(...refused)).toBeGreaterThanOrEqual(DELAY_MS - 100);
    expect(accepted.filter((at) => at > Math.min(...refused))).toEqual([]);
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.atMs - t0).toBeGreaterThanOrEqual(DELAY_MS);
    expect(exit.atMs - t0).toBeLessThan(TIMEOUT_MS);
    expect(await quantityOf(s.store, "SKU-1")).toBe(99);
    const stopping = a.lines.map((l) => String(l.msg)).filter((m) => m.startsWith("stopping"));
    expect(stopping[0]).toMatch(/^stopping: readiness answers 503/);
  }, 120_000);
});
