// Lookups that put many SKUs in one URL (WooCommerce `GET /products?sku=a,b,…`, Flipkart
// `GET /sellers/listings/v3/a,b,…`) must fit the server's URL limit whatever the SKUs' length: Node
// refuses a request line + headers over 16 KB (431), Apache's default LimitRequestLine is 8190 bytes and
// nginx's large_client_header_buffers 8 KB (414). A refused lookup is retryable, but retrying the same
// URL fails the same way forever: the propagator then reads the channel as down. So the clients build
// each lookup page by encoded length (and at most the API's page size), and split a page answered 414/431.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarketplaceKind } from "@synclag/marketplaces";
import type { RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import { UndiciTransport, type HttpReply, type HttpRequest, type HttpTransport } from "../src/index.js";
import { reasonOf } from "./scripted-transport.js";
import { admin, clientFor, startMocks } from "./support.js";

/** A server (or proxy) in front of the mock that refuses a request line longer than `maxRequestLine` bytes with 414, as Apache and nginx do. */
class UrlLimitedTransport implements HttpTransport {
  readonly requestLines: number[] = [];
  refused = 0;
  private readonly inner = new UndiciTransport();
  constructor(private readonly maxRequestLine: number) {}
  send(request: HttpRequest): Promise<HttpReply> {
    const url = new URL(request.url);
    const length = Buffer.byteLength(`${request.method} ${url.pathname}${url.search} HTTP/1.1`);
    this.requestLines.push(length);
    if (length > this.maxRequestLine) {
      this.refused += 1;
      return Promise.resolve({ status: 414, headers: { "content-type": "text/html" }, body: "<html><head><title>414 Request-URI Too Large</title></head><body>Request-URI Too Large</body></html>" });
    }
    return this.inner.send(request);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** WooCommerce's SKU field takes up to 100 characters. */
const WOO_MAX = "W".repeat(99) + "-";
/** Longer than anything a full page of WooCommerce's longest SKUs needs: past Node's own 16 KB limit. */
const VERY_LONG = "X".repeat(190) + "-";
const FLIPKART_LONG = "F".repeat(99) + "-";

let running: RunningMockMarketplaces;
beforeAll(async () => {
  running = await startMocks({ kinds: ["woocommerce", "flipkart"] });
  for (const prefix of [WOO_MAX, VERY_LONG]) await admin(running, "woocommerce", "/listings", { generate: { count: 100, stock: 10, prefix } });
  await admin(running, "flipkart", "/listings", { generate: { count: 10, stock: 10, prefix: FLIPKART_LONG } });
});
afterAll(async () => running.close());

const updatesFor = (prefix: string, count: number, quantity = 3) => Array.from({ length: count }, (_, i) => ({ sku: `${prefix}${i + 1}`, quantity, version: 10 + i }));

async function pushAndRead(kind: MarketplaceKind, prefix: string, count: number, transport?: HttpTransport): Promise<void> {
  const client = clientFor(running, kind, transport ? { transport } : {});
  try {
    const updates = updatesFor(prefix, count);
    expect((await client.setQuantities(updates)).map(reasonOf)).toEqual(updates.map(() => "ok"));
    const read = await client.readQuantities(updates.map((u) => u.sku));
    expect(read.size).toBe(count);
    expect([...read.values()].every((q) => q === 3)).toBe(true);
  } finally {
    await client.close();
    await transport?.close();
  }
}

describe("woocommerce: a full batch of long SKUs is looked up in pages that fit the URL limit", () => {
  it("100 SKUs of 191 characters against the mock (Node's 16 KB limit): every update lands and reads back", async () => {
    await pushAndRead("woocommerce", VERY_LONG, 100);
  });

  it("100 SKUs of 100 characters (WooCommerce's maximum) behind an Apache-like 8190-byte request line limit: no request is refused", async () => {
    const transport = new UrlLimitedTransport(8190);
    await pushAndRead("woocommerce", WOO_MAX, 100, transport);
    expect(transport.refused).toBe(0);
    expect(Math.max(...transport.requestLines)).toBeLessThanOrEqual(8190);
  });

  it("a server with a tighter limit (2,000 bytes) answers 414: the client splits the page and asks again until it fits", async () => {
    const transport = new UrlLimitedTransport(2_000);
    await pushAndRead("woocommerce", WOO_MAX, 100, transport);
    expect(transport.refused).toBeGreaterThan(0);
  });
});

describe("flipkart: the listing read puts its SKUs in the path too", () => {
  it("a page refused with 414 (a 1,000-byte limit) is split and asked again: every update lands and reads back", async () => {
    const transport = new UrlLimitedTransport(1_000);
    await pushAndRead("flipkart", FLIPKART_LONG, 10, transport);
    expect(transport.refused).toBeGreaterThan(0);
  });
});
