// Notifications refused for a bad signature are anyone's input: counted every one, logged at most once per
// interval per channel (as paths that are no channel are). Found by review: each wrote a warning, so an
// anonymous client wrote log lines as fast as it could send requests (2,000 unsigned POSTs in 3.6 s →
// 2,000 "notification rejected" lines).
import { createHmac } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { captureLog } from "../test/log-capture.js";
import { startIngestServer, type RunningIngestServer } from "./ingest-server.js";
import { countingMetrics } from "./ingest-test-support.js";

let server: RunningIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(rejectedLogIntervalMs?: number) {
  const { counted, metrics } = countingMetrics();
  const { lines, logger } = captureLog("info");
  server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 4096,
    channels: [
      { id: "shopify", kind: "shopify", secret: "real-secret" },
      { id: "woo", kind: "woocommerce", secret: "woo-secret" },
    ],
    publish: () => Promise.reject(new Error("not expected")),
    metrics,
    logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
    ...(rejectedLogIntervalMs === undefined ? {} : { rejectedLogIntervalMs }),
  });
  return { url: server.url, counted, lines };
}

const forged = (url: string, channel: string) =>
  fetch(`${url}/ingest/${channel}`, { method: "POST", headers: { "content-type": "application/json", "x-shopify-hmac-sha256": "forged", "x-wc-webhook-signature": "forged" }, body: "{}" });

const rejected = (lines: ReadonlyArray<Record<string, unknown>>) => lines.filter((line) => line.msg === "notification rejected");

it("200 unsigned requests do not write 200 warning lines (rate-limited like unknown channel paths), and every one is counted", async () => {
  const { url, counted, lines } = await start();
  for (let i = 0; i < 200; i++) expect((await forged(url, "shopify")).status).toBe(401);
  expect(rejected(lines)).toHaveLength(1);
  expect(rejected(lines)[0]).toMatchObject({ level: 40, channel: "shopify", reason: "signature", notLoggedSinceLast: 0 });
  expect(counted.filter(([name, labels]) => name === "ingest_notifications_total" && labels?.outcome === "signature")).toHaveLength(200);
});

it("per channel: a flood on one does not hide the first bad signature on another; after the interval the next line says how many were not logged", async () => {
  const { url, lines } = await start(300);
  for (let i = 0; i < 10; i++) await forged(url, "shopify");
  expect((await forged(url, "woo")).status).toBe(401);
  expect(rejected(lines).map((line) => line.channel)).toEqual(["shopify", "woo"]);
  await new Promise((resolve) => setTimeout(resolve, 350));
  await forged(url, "shopify");
  expect(rejected(lines).map((line) => [line.channel, line.notLoggedSinceLast])).toEqual([
    ["shopify", 0],
    ["woo", 0],
    ["shopify", 9],
  ]);
});

it("still logs every malformed notification that carries a valid signature (the marketplace's own order, not refused silently)", async () => {
  const { url, lines } = await start();
  for (const id of [1, 2, 3]) {
    const body = JSON.stringify({ id, line_items: "not a list" });
    const response = await fetch(`${url}/ingest/shopify`, { method: "POST", headers: { "content-type": "application/json", "x-shopify-topic": "orders/create", "x-shopify-hmac-sha256": createHmac("sha256", "real-secret").update(body).digest("base64") }, body });
    expect(response.status).toBe(400);
  }
  expect(rejected(lines).map((line) => [line.reason, line.orderId])).toEqual([
    ["malformed", "shopify:1"],
    ["malformed", "shopify:2"],
    ["malformed", "shopify:3"],
  ]);
});
