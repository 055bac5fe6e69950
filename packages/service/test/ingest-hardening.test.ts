// The engine service's ingest against real NATS and Redis: a channel on a real marketplace never runs on
// the repository's public mock secrets, and unsigned requests with made-up eBay key ids cannot make the
// engine spend the seller's eBay API quota; an eBay key that could not be fetched is a 503 (eBay
// redelivers), not a 401.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineService, ServiceError, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("engine ingest hardening (real NATS, Redis)", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  const stops: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  }, 30_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  /** A stand-in for eBay's Notification API: counts public-key look-ups, answers them with `status`. */
  async function fakeEbay(status: () => number): Promise<{ url: string; keyFetches: () => number }> {
    let keyFetches = 0;
    const server: Server = createServer((request, response) => {
      if (request.url?.includes("/commerce/notification/v1/public_key/")) keyFetches += 1;
      response.writeHead(status(), { "content-type": "application/json" });
      response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, keyFetches: () => keyFetches };
  }

  async function startEbayEngine(baseUrl: string, name: string): Promise<EngineService> {
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { port: await freePort() }, channels: [{ kind: "ebay", baseUrl }], reconcileInterval: 0, shutdownTimeout: 3_000, feed: { streamName: name, subjectPrefix: `${name.toLowerCase()}.orders`, deadLetterStreamName: `${name}_DLQ`, deadLetterSubjectPrefix: `${name.toLowerCase()}.dlq` }, redis: { keyPrefix: `${name}:` } });
    const service = await EngineService.start({ config, logger: captureLog("silent").logger });
    stops.push(() => service.stop());
    return service;
  }

  const forgedSignature = (kid: string) => Buffer.from(JSON.stringify({ alg: "ecdsa", kid, signature: "AAAA", digest: "SHA1" })).toString("base64");

  it("50 unsigned requests to /ingest/ebay with made-up key ids cost at most 3 calls to eBay's key API (401 or 503, never an order)", async () => {
    const ebay = await fakeEbay(() => 404);
    const service = await startEbayEngine(ebay.url, "EBF");
    const statuses = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const response = await fetch(`${service.url}/ingest/ebay`, { method: "POST", headers: { "x-ebay-signature": forgedSignature(`forged-${i}`), "content-type": "application/json" }, body: "{}" });
      statuses.add(response.status);
    }
    // Without a key id at all: no look-up either.
    statuses.add((await fetch(`${service.url}/ingest/ebay`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status);
    expect(ebay.keyFetches()).toBeLessThanOrEqual(3);
    expect([...statuses].sort()).toEqual([401, 503]);
  }, 60_000);

  it("answers 503 (eBay redelivers), not 401, when eBay's key API failed for a transient reason", async () => {
    const ebay = await fakeEbay(() => 500);
    const service = await startEbayEngine(ebay.url, "EBT");
    const response = await fetch(`${service.url}/ingest/ebay`, { method: "POST", headers: { "x-ebay-signature": forgedSignature("9936261a-7d7b-4621-a0f1-96ccb428af49"), "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await response.json()).toMatchObject({ error: "key_unavailable" });
  }, 30_000);

  it("keeps an eBay key found by a look-up in Redis: the next process uses it without a look-up, however many made-up key ids came first", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const pem = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    let keyFetches = 0;
    const server: Server = createServer((request, response) => {
      if (request.url?.includes("/commerce/notification/v1/public_key/")) keyFetches += 1;
      const found = request.url?.endsWith("/public_key/genuine-kid") === true;
      response.writeHead(found ? 200 : 404, { "content-type": "application/json" });
      response.end(JSON.stringify(found ? { key: pem, algorithm: "ECDSA", digest: "SHA1" } : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const send = (service: EngineService, kid: string) => fetch(`${service.url}/ingest/ebay`, { method: "POST", headers: { "x-ebay-signature": forgedSignature(kid), "content-type": "application/json" }, body: "{}" }).then((r) => r.status);
    const first = await startEbayEngine(baseUrl, "EBK");
    // The key is found (the signature itself is forged: 401, not 503).
    expect(await send(first, "genuine-kid")).toBe(401);
    expect(keyFetches).toBe(1);
    await first.stop();
    const second = await startEbayEngine(baseUrl, "EBK");
    for (let i = 0; i < 10; i++) await send(second, `forged-${i}`);
    const fetchesBefore = keyFetches;
    expect(await send(second, "genuine-kid")).toBe(401);
    expect(keyFetches).toBe(fetchesBefore);
  }, 60_000);

  it("refuses to start a channel on a real marketplace that has no secrets of its own (configuration error, nothing started)", async () => {
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { port: await freePort() }, channels: [{ kind: "shopify", baseUrl: "https://myshop.myshopify.com" }], reconcileInterval: 0, shutdownTimeout: 3_000 });
    const started = EngineService.start({ config, logger: captureLog("silent").logger });
    started.then((service) => stops.push(() => service.stop()), () => undefined);
    await expect(started).rejects.toSatisfy((error) => error instanceof ServiceError && error.reason === "config" && /not a mock on loopback/.test(error.message));
  }, 30_000);
});
