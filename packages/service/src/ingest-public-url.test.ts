// Flipkart signs the URL it called (date + URL + method + secret). Behind a TLS-terminating gateway that
// URL is the public `https://…` one, while this server sees `http://<Host><path>`: the ingest setting
// `publicUrl` (or, behind a proxy that sets them, trusted X-Forwarded-* headers) says what was called.
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { noopMetrics } from "@synclag/core";
import { DEFAULT_MOCK_CREDENTIALS as c, flipkartAuthorization } from "@synclag/mock-marketplaces";
import { captureLog } from "../test/log-capture.js";
import { loadServiceConfig } from "./config.js";
import { ServiceError } from "./errors.js";
import { startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";

let server: RunningIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Pick<IngestServerOptions, "publicUrl" | "trustForwardedHeaders"> = {}): Promise<RunningIngestServer> {
  server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 262_144,
    ...options,
    metrics: noopMetrics,
    logger: captureLog("info").logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
    channels: [{ id: "flipkart", kind: "flipkart", secret: c.flipkart.appSecret, appId: c.flipkart.appId }],
    publish: () => Promise.resolve({ duplicate: false }),
  });
  return server;
}

/** POSTs a Flipkart notification signed for `signedUrl` to `/ingest/flipkart`, with the headers a gateway forwards. */
function deliver(target: RunningIngestServer, signedUrl: string, forwarded: Record<string, string>): Promise<number> {
  const date = new Date().toUTCString();
  const body = JSON.stringify({ eventId: "e1", eventType: "shipment_created", timestamp: new Date().toISOString(), attributes: { orderId: "OD1", orderItems: [{ sku: "sku-1", quantity: 1 }] } });
  const headers = { "content-type": "application/json", ...forwarded, x_date: date, x_authorization: flipkartAuthorization(c.flipkart.appId, c.flipkart.appSecret, date, signedUrl, "POST") };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: target.port, method: "POST", path: "/ingest/flipkart", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const viaGateway = { host: "hooks.example.com", "x-forwarded-proto": "https" };

describe("Flipkart signatures behind a TLS-terminating gateway", () => {
  it("verify against ingest.publicUrl when it is set (the URL Flipkart was given), and not without it", async () => {
    expect(await deliver(await start({ publicUrl: "https://hooks.example.com" }), "https://hooks.example.com/ingest/flipkart", viaGateway)).toBe(200);
    await server?.close();
    expect(await deliver(await start(), "https://hooks.example.com/ingest/flipkart", viaGateway)).toBe(401);
  });

  it("publicUrl may carry a path prefix the gateway strips; a trailing slash is ignored", async () => {
    expect(await deliver(await start({ publicUrl: "https://example.com/synclag/" }), "https://example.com/synclag/ingest/flipkart", { host: "10.0.0.5:8080" })).toBe(200);
  });

  it("publicUrl wins over forwarded headers: a client cannot choose the URL its signature is checked against", async () => {
    const target = await start({ publicUrl: "https://hooks.example.com", trustForwardedHeaders: true });
    expect(await deliver(target, "https://evil.example/ingest/flipkart", { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" })).toBe(401);
  });

  it("X-Forwarded-Proto / X-Forwarded-Host are honoured only when trustForwardedHeaders is on", async () => {
    const forwarded = { host: "10.0.0.5:8080", "x-forwarded-proto": "https, http", "x-forwarded-host": "hooks.example.com" };
    expect(await deliver(await start({ trustForwardedHeaders: true }), "https://hooks.example.com/ingest/flipkart", forwarded)).toBe(200);
    await server?.close();
    expect(await deliver(await start(), "https://hooks.example.com/ingest/flipkart", forwarded)).toBe(401);
  });

  it("without a gateway nothing changes: the URL is http://<Host><path>", async () => {
    const target = await start();
    expect(await deliver(target, `http://127.0.0.1:${target.port}/ingest/flipkart`, { host: `127.0.0.1:${target.port}` })).toBe(200);
  });
});

describe("ingest.publicUrl and ingest.trustForwardedHeaders settings", () => {
  const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
    try {
      loadServiceConfig({}, env);
    } catch (error) {
      if (error instanceof ServiceError) return error.problems;
      throw error;
    }
    return [];
  };

  it("are read from SYNCLAG_INGEST_PUBLIC_URL and SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS; default: none, false", () => {
    expect(loadServiceConfig({}, {}).ingest).toEqual({ host: "127.0.0.1", port: 8080, maxBodyBytes: 262_144, trustForwardedHeaders: false });
    const config = loadServiceConfig({}, { SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com/synclag", SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS: "true" });
    expect(config.ingest).toMatchObject({ publicUrl: "https://hooks.example.com/synclag", trustForwardedHeaders: true });
  });

  it.each(["https://hooks.example.com ", " https://hooks.example.com", "https://hooks.example.com\n", "\thttps://hooks.example.com/\r\n"])("surrounding whitespace in publicUrl (%j) is trimmed: Flipkart's signature for the URL it names verifies", async (raw) => {
    const config = loadServiceConfig({}, { SYNCLAG_INGEST_PUBLIC_URL: raw });
    expect(config.ingest.publicUrl).toBe(raw.trim());
    const target = await start({ ...(config.ingest.publicUrl === undefined ? {} : { publicUrl: config.ingest.publicUrl }), trustForwardedHeaders: config.ingest.trustForwardedHeaders });
    expect(await deliver(target, "https://hooks.example.com/ingest/flipkart", { host: "10.0.0.5:8080" })).toBe(200);
  });

  it("a publicUrl that is only whitespace is refused, naming the variable", () => {
    expect(problemsOf({ SYNCLAG_INGEST_PUBLIC_URL: "  " })).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_PUBLIC_URL \(ingest\.publicUrl\): must be a http:\/\/ or https:\/\/ URL/)]);
  });

  it("refuse what cannot be a base URL or a boolean, naming the variable", () => {
    expect(problemsOf({ SYNCLAG_INGEST_PUBLIC_URL: "hooks.example.com" })).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_PUBLIC_URL \(ingest\.publicUrl\): must be a http:\/\/ or https:\/\/ URL/)]);
    expect(problemsOf({ SYNCLAG_INGEST_PUBLIC_URL: "https://hooks.example.com/?a=1" })).toEqual([expect.stringMatching(/ingest\.publicUrl.*no query or fragment/)]);
    expect(problemsOf({ SYNCLAG_INGEST_PUBLIC_URL: "https://user:pw@hooks.example.com" }).join("\n")).toMatch(/must not carry credentials/);
    expect(problemsOf({ SYNCLAG_INGEST_PUBLIC_URL: "https://user:pw@hooks.example.com" }).join("\n")).not.toContain("pw@");
    expect(problemsOf({ SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS: "yes" })).toEqual(["SYNCLAG_INGEST_TRUST_FORWARDED_HEADERS (ingest.trustForwardedHeaders): must be true or false"]);
  });
});
