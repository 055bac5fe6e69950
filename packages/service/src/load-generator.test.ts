// The open model against a tiny local storefront: busy slots and late wake-ups drop arrivals (never delay them); agents leave on a shown 0,
// and a failed stock lookup is a failed arrival, never a shopper turned away.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Arrival } from "@synclag/workload";
import { LoadGenerator, type ArrivalOutcome } from "./load-generator.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A storefront that answers every checkout 201 after `holdMs`, and shows `available` to agents (answering `lookup` instead when given). */
async function storefront(holdMs: number, available: number, lookup?: { readonly status: number; readonly body: unknown }): Promise<string> {
  server = createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET") return lookup ? answer(lookup.status, lookup.body) : answer(200, { available });
    request.resume();
    request.on("end", () => setTimeout(() => answer(201, { orderId: "o-1", createdAtMs: Date.now() }), holdMs));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const arrival = (atMs: number, agent = false): Arrival => ({ atMs, channel: "shop", sku: "SKU-1", quantity: 1, agent });

describe("open-model load generator", () => {
  it("drops arrivals that find every request slot busy instead of queueing them", async () => {
    const url = await storefront(300, 5);
    const outcomes: ArrivalOutcome[] = [];
    const report = await new LoadGenerator({ arrivals: Array.from({ length: 10 }, () => arrival(0)), timeScale: 1, storefronts: new Map([["shop", url]]), maxInFlight: 2, onOutcome: (o) => outcomes.push(o) }).run();
    expect(report).toMatchObject({ planned: 10, sent: 2, accepted: 2, droppedArrivals: 8 });
    expect(outcomes.filter((o) => o.kind === "dropped").every((o) => o.kind === "dropped" && o.reason === "in-flight-limit")).toBe(true);
  });

  it("counts arrivals it could not send on time as dropped, never sends them late", async () => {
    const url = await storefront(0, 5);
    const report = await new LoadGenerator({ arrivals: [arrival(0), arrival(10), arrival(5_000)], timeScale: 1, storefronts: new Map([["shop", url]]), startAtMs: Date.now() - 4_000, lateToleranceMs: 250 }).run();
    expect(report).toMatchObject({ planned: 3, sent: 1, droppedArrivals: 2 });
  });

  it("lets a shopping agent leave when the storefront shows too little, without checking out", async () => {
    const url = await storefront(0, 0);
    const outcomes: ArrivalOutcome[] = [];
    const report = await new LoadGenerator({ arrivals: [arrival(0, true), arrival(1, false)], timeScale: 1, storefronts: new Map([["shop", url]]), onOutcome: (o) => outcomes.push(o) }).run();
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["accepted", "turned-away"]);
    expect(report.latencyMs.count).toBe(2);
  });

  it("counts a shopping agent whose stock lookup failed (404 unlisted, 5xx, no stock figure) as an error with the status, never as turned away", async () => {
    for (const [lookup, status] of [
      [{ status: 404, body: { listed: false } }, 404],
      [{ status: 503, body: { error: "unavailable" } }, 503],
      [{ status: 429, body: {} }, 429],
      [{ status: 200, body: {} }, 200],
    ] as const) {
      const url = await storefront(0, 5, lookup);
      const outcomes: ArrivalOutcome[] = [];
      const report = await new LoadGenerator({ arrivals: [arrival(0, true)], timeScale: 1, storefronts: new Map([["shop", url]]), onOutcome: (o) => outcomes.push(o) }).run();
      expect(report, `lookup ${status}`).toMatchObject({ sent: 1, accepted: 0, turnedAway: 0, errors: 1 });
      expect(outcomes[0], `lookup ${status}`).toMatchObject({ kind: "error", status });
      expect(outcomes[0]?.kind === "error" ? outcomes[0].message : "", `lookup ${status}`).toContain(`stock lookup answered ${status}`);
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    }
  });
});
