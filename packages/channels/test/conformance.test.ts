// Conformance with the official API models in ../shared/specs: the requests the clients send and the
// replies the mocks give, for Amazon Listings Items (OpenAPI 2.0) and eBay Sell Inventory bulk calls
// (OpenAPI 3.0), validated with openapi-request-validator / openapi-response-validator (ajv), and the
// Amazon ORDER_CHANGE notification against its JSON Schema. Skips with a message without ../shared.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv } from "ajv";
import requestValidatorModule from "openapi-request-validator";
import responseValidatorModule from "openapi-response-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS, type RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import { HAVE_SPECS, RecordingTransport, SPECS_DIR, SPECS_SKIP_MESSAGE, admin, checkout, clientFor, startMocks, type Exchange } from "./support.js";

// CommonJS modules compiled from TypeScript: Node's ESM loader hands over `module.exports`, whose
// `default` is the class; some loaders unwrap it already. Accept both.
const unwrap = <T>(module: { default: T } | T): T => (typeof module === "object" && module !== null && "default" in module ? module.default : (module as T));
const OpenAPIRequestValidator = unwrap(requestValidatorModule);
const OpenAPIResponseValidator = unwrap(responseValidatorModule);
type OpenAPIRequestValidator = InstanceType<typeof OpenAPIRequestValidator>;
type OpenAPIResponseValidator = InstanceType<typeof OpenAPIResponseValidator>;

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed OpenAPI documents

const CSV = ["marketplaceIds", "includedData", "identifiers"];
/** Query parameters the model types as integers: the server framework parses them before validation; so does this harness. */
const INTEGERS = ["pageSize"];

if (!HAVE_SPECS) console.warn(`conformance.test.ts: ${SPECS_SKIP_MESSAGE}`);

const lowerHeaders = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/** Checks one exchange against an operation: request parameters and body, then the reply body for its status. */
function validateExchange(exchange: Exchange, request: OpenAPIRequestValidator, response: OpenAPIResponseValidator, params: Record<string, string>, csvArrays: readonly string[] = []): { request: unknown; response: unknown } {
  const url = new URL(exchange.request.url);
  const query: Record<string, unknown> = {};
  // The server framework splits `collectionFormat: csv` arrays and parses integers before validation; so does this harness.
  url.searchParams.forEach((value, key) => {
    query[key] = csvArrays.includes(key) ? value.split(",") : INTEGERS.includes(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  });
  const requestErrors = request.validateRequest({ headers: lowerHeaders(exchange.request.headers), body: exchange.request.body === undefined ? undefined : JSON.parse(exchange.request.body), query, params });
  const reply = exchange.reply;
  const responseErrors = reply ? response.validateResponse(String(reply.status), JSON.parse(reply.body)) : "no reply";
  return { request: requestErrors, response: responseErrors };
}

describe.skipIf(!HAVE_SPECS)("Amazon Listings Items 2021-08-01 (official model)", () => {
  let spec: Spec;
  let running: RunningMockMarketplaces;
  beforeAll(async () => {
    spec = JSON.parse(readFileSync(resolve(SPECS_DIR, "amazon/listingsItems_2021-08-01.json"), "utf8")) as Spec;
    running = await startMocks({ kinds: ["amazon"], profiles: { amazon: { ...DEFAULT_PROFILES.amazon, rateLimit: { kind: "token-bucket", ratePerSecond: 0.1, burst: 3 } } } });
  });
  afterAll(async () => running.close());

  const validators = (method: "patch" | "get", path = "/listings/2021-08-01/items/{sellerId}/{sku}") => {
    const op = spec.paths[path][method];
    return {
      request: new OpenAPIRequestValidator({ parameters: op.parameters, schemas: spec.definitions }),
      response: new OpenAPIResponseValidator({ responses: op.responses, definitions: spec.definitions }),
    };
  };

  it("patchListingsItem: every request the client sends and every reply (ACCEPTED, INVALID, 429, 503) matches the model", async () => {
    const transport = new RecordingTransport();
    const client = clientFor(running, "amazon", { transport });
    const statuses = new Set<number>();
    await client.setQuantities([{ sku: "sku-1", quantity: 3, version: 1 }]); // ACCEPTED
    await client.setQuantities([{ sku: "no-such-sku", quantity: 3, version: 1 }]); // INVALID inside 200
    await client.setQuantities([{ sku: "sku-2", quantity: 3, version: 1 }]);
    await client.setQuantities([{ sku: "sku-3", quantity: 3, version: 1 }]); // 429 QuotaExceeded
    await admin(running, "amazon", "/faults", { outageMs: 60_000 });
    await client.setQuantities([{ sku: "sku-4", quantity: 3, version: 1 }]); // 503
    const { request, response } = validators("patch");
    for (const exchange of transport.exchanges) {
      statuses.add(exchange.reply?.status ?? 0);
      const sku = decodeURIComponent(new URL(exchange.request.url).pathname.split("/").pop() ?? "");
      const errors = validateExchange(exchange, request, response, { sellerId: "A2SYNCLAGMOCK", sku }, CSV);
      expect(errors, `${exchange.request.method} ${exchange.request.url} → ${exchange.reply?.status}: ${exchange.reply?.body}`).toEqual({ request: undefined, response: undefined });
    }
    expect([...statuses].sort()).toEqual([200, 429, 503]);
    expect(transport.exchanges.some((e) => e.reply?.body.includes('"INVALID"'))).toBe(true);
    await client.close();
  });

  it("a request that breaks the model is caught by the validator (the check can fail)", () => {
    const { request, response } = validators("patch");
    const errors = request.validateRequest({ headers: {}, body: { patches: [{ op: "frobnicate", path: "/x" }] }, query: { marketplaceIds: ["ATVPDKIKX0DER"] }, params: { sellerId: "A", sku: "s" } });
    expect(errors).toBeDefined();
    expect(response.validateResponse("200", { sku: "s", status: "MAYBE" })).toBeDefined();
  });

  it("searchListingsItems: the client's searches (46 SKUs → 20, 20, 6) and the mock's replies match the model", async () => {
    await admin(running, "amazon", "/reset", {});
    await admin(running, "amazon", "/listings", { generate: { count: 45, stock: 4 } });
    const transport = new RecordingTransport();
    const client = clientFor(running, "amazon", { transport });
    const asked = [...Array.from({ length: 45 }, (_, i) => `sku-${i + 1}`), "no-such-sku"];
    const read = await client.readQuantities(asked);
    expect(read.size).toBe(45);
    expect(read.get("sku-45")).toBe(4);
    const { request, response } = validators("get", "/listings/2021-08-01/items/{sellerId}");
    expect(transport.exchanges.map((e) => new URL(e.request.url).searchParams.get("identifiers")?.split(",").length)).toEqual([20, 20, 6]);
    for (const exchange of transport.exchanges) {
      expect(exchange.reply?.status).toBe(200);
      expect(validateExchange(exchange, request, response, { sellerId: "A2SYNCLAGMOCK" }, CSV), exchange.reply?.body).toEqual({ request: undefined, response: undefined });
    }
    await client.close();
  });

  it("searchListingsItems: the mock's default reply (summaries) and its listing without identifiers, page by page, match the model", async () => {
    await admin(running, "amazon", "/reset", {});
    await admin(running, "amazon", "/listings", { generate: { count: 25, stock: 0 } });
    const transport = new RecordingTransport();
    const c = DEFAULT_MOCK_CREDENTIALS.amazon;
    const base = `${running.get("amazon").url}/listings/2021-08-01/items/${c.sellerId}?marketplaceIds=${c.marketplaceId}`;
    const get = (query: string) => transport.send({ method: "GET", url: `${base}${query}`, headers: { "x-amz-access-token": c.accessToken }, timeoutMs: 5_000 });
    await get("&identifiers=sku-1,sku-2&identifiersType=SKU");
    const first = JSON.parse((await get("&pageSize=20&includedData=summaries,issues,fulfillmentAvailability")).body) as { pagination?: { nextToken?: string } };
    await get(`&pageSize=20&pageToken=${encodeURIComponent(first.pagination?.nextToken ?? "")}`);
    const { request, response } = validators("get", "/listings/2021-08-01/items/{sellerId}");
    expect(transport.exchanges.map((e) => e.reply?.status)).toEqual([200, 200, 200]);
    for (const exchange of transport.exchanges) expect(validateExchange(exchange, request, response, { sellerId: c.sellerId }, CSV), exchange.reply?.body).toEqual({ request: undefined, response: undefined });
    await transport.close();
  });

  it.each([
    ["21 identifiers", `&identifiers=${Array.from({ length: 21 }, (_, i) => `sku-${i + 1}`).join(",")}&identifiersType=SKU`],
    ["pageSize 21", "&pageSize=21"],
    ["an identifiersType outside the enum", "&identifiers=sku-1&identifiersType=SELLER_SKU"],
    ["an includedData outside the enum", "&includedData=quantity"],
  ])("searchListingsItems with %s breaks the model (the validator says so) and the mock answers 400 with an ErrorList that matches it", async (_label, query) => {
    const transport = new RecordingTransport();
    const c = DEFAULT_MOCK_CREDENTIALS.amazon;
    await transport.send({ method: "GET", url: `${running.get("amazon").url}/listings/2021-08-01/items/${c.sellerId}?marketplaceIds=${c.marketplaceId}${query}`, headers: { "x-amz-access-token": c.accessToken }, timeoutMs: 5_000 });
    const { request, response } = validators("get", "/listings/2021-08-01/items/{sellerId}");
    const [exchange] = transport.exchanges;
    expect(exchange?.reply?.status).toBe(400);
    const errors = validateExchange(exchange as Exchange, request, response, { sellerId: c.sellerId }, CSV);
    expect(errors.request).toBeDefined();
    expect(errors.response).toBeUndefined();
    await transport.close();
  });

  it("a search reply that breaks ItemSearchResults is caught (the check can fail)", () => {
    const { response } = validators("get", "/listings/2021-08-01/items/{sellerId}");
    expect(response.validateResponse("200", { items: [{ sku: "a" }] })).toBeDefined(); // numberOfResults is required
    expect(response.validateResponse("200", { numberOfResults: 1, items: [{ fulfillmentAvailability: [] }] })).toBeDefined(); // an item without its sku
    expect(response.validateResponse("400", { message: "no" })).toBeDefined();
  });

  it("getListingsItem (the read of a SKU with a comma): the request and its reply match the model", async () => {
    await admin(running, "amazon", "/reset", {});
    await admin(running, "amazon", "/listings", { listings: [{ sku: "sku,1", quantity: 4 }] });
    const transport = new RecordingTransport();
    const client = clientFor(running, "amazon", { transport });
    expect((await client.readQuantities(["sku,1"])).get("sku,1")).toBe(4);
    const { request, response } = validators("get");
    const [exchange] = transport.exchanges;
    expect(transport.exchanges).toHaveLength(1);
    expect(validateExchange(exchange as Exchange, request, response, { sellerId: "A2SYNCLAGMOCK", sku: "sku,1" }, CSV)).toEqual({ request: undefined, response: undefined });
    await client.close();
  });

  it("patchListingsItem with mode=VALIDATION_PREVIEW: the requests and their VALID / INVALID replies match the model", async () => {
    await admin(running, "amazon", "/reset", {});
    await admin(running, "amazon", "/listings", { listings: [{ sku: "sku-1", quantity: 4 }] });
    const transport = new RecordingTransport();
    const c = DEFAULT_MOCK_CREDENTIALS.amazon;
    const { request, response } = validators("patch");
    for (const [sku, quantity] of [["sku-1", 3], ["no-such-sku", 3]] as const) {
      const query = new URLSearchParams({ marketplaceIds: c.marketplaceId, mode: "VALIDATION_PREVIEW" });
      const body = JSON.stringify({ productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity }] }] });
      await transport.send({ method: "PATCH", url: `${running.get("amazon").url}/listings/2021-08-01/items/${c.sellerId}/${sku}?${query.toString()}`, headers: { "content-type": "application/json", "x-amz-access-token": c.accessToken }, body, timeoutMs: 5_000 });
    }
    expect(transport.exchanges.map((e) => [e.reply?.status, (JSON.parse(e.reply?.body ?? "{}") as { status?: string }).status])).toEqual([[200, "VALID"], [200, "INVALID"]]);
    for (const exchange of transport.exchanges) {
      const sku = decodeURIComponent(new URL(exchange.request.url).pathname.split("/").pop() ?? "");
      expect(validateExchange(exchange, request, response, { sellerId: c.sellerId, sku }, CSV), exchange.reply?.body).toEqual({ request: undefined, response: undefined });
    }
    expect((await admin(running, "amazon", "/listings/sku-1")).accepted).toEqual({ quantity: 4, version: 0 });
    await transport.close();
  });

  it("the ORDER_CHANGE notification the mock sends matches its JSON Schema", async () => {
    const bodies: string[] = [];
    const ingest: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => ingest.listen(0, "127.0.0.1", r));
    const port = (ingest.address() as AddressInfo).port;
    const mocks = await startMocks({ kinds: ["amazon"], ingestUrl: `http://127.0.0.1:${port}/ingest/{kind}`, profiles: { amazon: { ...DEFAULT_PROFILES.amazon, notifications: { ...DEFAULT_PROFILES.amazon.notifications, delay: { kind: "constant", ms: 0 }, duplicateRate: 0 } } } });
    try {
      expect((await checkout(mocks, "amazon", "sku-1", 2)).status).toBe(201);
      for (let i = 0; i < 100 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const schema = JSON.parse(readFileSync(resolve(SPECS_DIR, "amazon/OrderChangeNotification.json"), "utf8")) as Spec;
      const ajv = new Ajv({ strict: false, allErrors: true });
      const validate = ajv.compile(schema);
      expect(bodies).toHaveLength(1);
      const ok = validate(JSON.parse(bodies[0] as string));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    } finally {
      await mocks.close();
      await new Promise<void>((r) => ingest.close(() => r()));
    }
  });
});

describe.skipIf(!HAVE_SPECS)("eBay Sell Inventory v1 bulk calls (official model)", () => {
  let spec: Spec;
  let running: RunningMockMarketplaces;
  beforeAll(async () => {
    spec = parseYaml(readFileSync(resolve(SPECS_DIR, "ebay/sell_inventory_v1_oas3.yaml"), "utf8")) as Spec;
    running = await startMocks({ kinds: ["ebay"], profiles: { ebay: { ...DEFAULT_PROFILES.ebay, revisionsPerListingPerDay: 1 } } });
  });
  afterAll(async () => running.close());

  const validators = (path: string) => {
    const op = spec.paths[path].post;
    // A 207 carries the 200's body (the model declares no schema for it): validate it with the same one.
    const responses = { ...op.responses, "207": op.responses["200"] };
    return {
      request: new OpenAPIRequestValidator({ parameters: op.parameters ?? [], requestBody: op.requestBody, componentSchemas: spec.components.schemas }),
      response: new OpenAPIResponseValidator({ responses, components: spec.components }),
    };
  };

  it("bulkUpdatePriceQuantity: requests (25 + 5) and replies (200, 207 with a revision-cap error) match the model", async () => {
    const transport = new RecordingTransport();
    const client = clientFor(running, "ebay", { transport });
    await client.setQuantities(Array.from({ length: 30 }, (_, i) => ({ sku: `sku-${i + 1}`, quantity: 2, version: 1 })));
    await client.setQuantities([{ sku: "sku-1", quantity: 1, version: 2 }, { sku: "sku-31", quantity: 1, version: 2 }]); // sku-1 hits the cap → 207
    const { request, response } = validators("/bulk_update_price_quantity");
    const statuses = transport.exchanges.map((e) => e.reply?.status);
    expect(statuses).toEqual([200, 200, 207]);
    for (const exchange of transport.exchanges) {
      expect(validateExchange(exchange, request, response, {}), exchange.reply?.body).toEqual({ request: undefined, response: undefined });
    }
    expect(JSON.parse(transport.exchanges[0]?.request.body ?? "{}").requests).toHaveLength(25);
    await client.close();
  });

  it("bulkGetInventoryItem: the read request and its reply match the model", async () => {
    const transport = new RecordingTransport();
    const client = clientFor(running, "ebay", { transport });
    const read = await client.readQuantities(["sku-2", "sku-3"]);
    expect(read.get("sku-2")).toBe(2);
    const { request, response } = validators("/bulk_get_inventory_item");
    for (const exchange of transport.exchanges) expect(validateExchange(exchange, request, response, {})).toEqual({ request: undefined, response: undefined });
    await client.close();
  });

  it("a reply that breaks the model is caught (the check can fail)", () => {
    const { response } = validators("/bulk_update_price_quantity");
    expect(response.validateResponse("200", { responses: [{ sku: "s", statusCode: "ok" }] })).toBeDefined();
  });
});
