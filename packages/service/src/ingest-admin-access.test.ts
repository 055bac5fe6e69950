// Who may use the admin routes (`POST /admin/stock`, `POST /admin/stock/restored`). Found by review: they
// parsed the body as JSON whatever its Content-Type and ignored Origin, Sec-Fetch-Site and Host, so any
// web page the operator had open could change the stock through the loopback listener with a CORS
// "simple request" (text/plain, no preflight), a DNS-rebinding page could even read the answers, and with
// `--host 0.0.0.0` anyone on the network could. Now: JSON only (415), nothing a browser sends cross-site
// (403), a Host that cannot be a rebound name (403), and either the admin token or a local peer.
import type { IncomingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { captureLog } from "../test/log-capture.js";
import { adminRequestRefusal, startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";
import { countingMetrics } from "./ingest-test-support.js";

let server: RunningIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOKEN = "admin-token-for-tests-0123456789";

async function start(options: Partial<Pick<IngestServerOptions, "adminToken" | "publicUrl" | "host" | "rejectedLogIntervalMs">> = {}) {
  const applied: unknown[] = [];
  let confirmations = 0;
  const { counted, metrics } = countingMetrics();
  const log = captureLog("info");
  server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 4096,
    channels: [],
    publish: () => Promise.reject(new Error("not expected")),
    adjustStock: (input) => {
      applied.push(input);
      return Promise.resolve({ ok: true, detail: input });
    },
    confirmStockRestored: () => {
      confirmations += 1;
      return Promise.resolve({ status: 200, body: { restored: false } });
    },
    metrics,
    logger: log.logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
    ...options,
  });
  return { url: server.url, applied, confirmations: () => confirmations, counted, lines: log.lines };
}

/** A raw POST: fetch cannot set Host, and adds headers of its own. */
function post(url: string, path: string, headers: Record<string, string>, body = JSON.stringify({ kind: "set", items: [{ sku: "MUG", quantity: 0 }] })): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, method: "POST", path, headers: { "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const JSON_TYPE = { "content-type": "application/json" };

describe("admin routes: what a web page can send is refused", () => {
  it("refuses a cross-site text/plain POST to /admin/stock (what a web page can send to loopback without a preflight)", async () => {
    const { url, applied } = await start();
    const response = await fetch(`${url}/admin/stock`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", origin: "https://evil.example", "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" },
      body: JSON.stringify({ kind: "set", items: [{ sku: "MUG", quantity: 0 }] }),
    });
    expect(response.status).toBe(403);
    expect(applied).toEqual([]);
  });

  it("answers 415 to a body that is not declared application/json, and applies nothing", async () => {
    const { url, applied, confirmations } = await start();
    for (const type of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""]) {
      const response = await post(url, "/admin/stock", type === "" ? {} : { "content-type": type });
      expect({ type, status: response.status, error: response.body.error }).toEqual({ type, status: 415, error: "unsupported_media_type" });
    }
    expect((await post(url, "/admin/stock/restored", { "content-type": "text/plain" }, "{}")).status).toBe(415);
    expect(applied).toEqual([]);
    expect(confirmations()).toBe(0);
    // The JSON media type with parameters, in any case, is taken.
    expect((await post(url, "/admin/stock", { "content-type": "Application/JSON; charset=utf-8" })).status).toBe(200);
    expect((await post(url, "/admin/stock/restored", JSON_TYPE, "{}")).status).toBe(200);
    expect(applied).toHaveLength(1);
    expect(confirmations()).toBe(1);
  });

  it("answers 403 to a request carrying Origin, or Sec-Fetch-Site cross-site / same-site, even as JSON", async () => {
    const { url, applied, confirmations } = await start();
    for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }, { origin: `${url}` }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }]) {
      const response = await post(url, "/admin/stock", { ...JSON_TYPE, ...headers });
      expect({ headers, status: response.status, error: response.body.error }).toEqual({ headers, status: 403, error: "cross_site" });
      expect((await post(url, "/admin/stock/restored", { ...JSON_TYPE, ...headers }, "{}")).status).toBe(403);
    }
    expect(applied).toEqual([]);
    expect(confirmations()).toBe(0);
  });

  it("answers 403 to a Host that is a name other than loopback's, the listen host's or publicUrl's (DNS rebinding)", async () => {
    const { url, applied } = await start({ publicUrl: "https://hooks.example.com/synclag" });
    const port = new URL(url).port;
    for (const host of [`rebind.evil.example:${port}`, "evil.example", `localhost.evil.example:${port}`]) {
      const response = await post(url, "/admin/stock", { ...JSON_TYPE, host });
      expect({ host, status: response.status, error: response.body.error }).toEqual({ host, status: 403, error: "host" });
    }
    expect(applied).toEqual([]);
    // Loopback names, IP literals (a rebound page's Host is its own name) and the public URL's host are taken.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, `app.localhost:${port}`, `[::1]:${port}`, `10.0.0.7:${port}`, "hooks.example.com"]) {
      expect({ host, status: (await post(url, "/admin/stock", { ...JSON_TYPE, host })).status }).toEqual({ host, status: 200 });
    }
  });

  it("counts every refusal by reason and logs it at most once per interval, with how many were not logged", async () => {
    const { url, counted, lines } = await start({ rejectedLogIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) await post(url, "/admin/stock", { "content-type": "text/plain" });
    await post(url, "/admin/stock", { ...JSON_TYPE, origin: "https://evil.example" });
    expect(counted.filter(([name]) => name === "admin_requests_refused_total")).toEqual([...Array.from({ length: 20 }, () => ["admin_requests_refused_total", { reason: "content_type" }]), ["admin_requests_refused_total", { reason: "cross_site" }]]);
    const logged = lines.filter((line) => line.msg === "admin request refused");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, reason: "content_type", status: 415, notLoggedSinceLast: 0 });
  });

  it("closes the connection after a refusal instead of reading the rest of the body", async () => {
    const { url } = await start();
    const response = await post(url, "/admin/stock", { "content-type": "text/plain" });
    expect(response.headers.connection).toBe("close");
  });
});

describe("admin routes: the admin token", () => {
  it("with adminToken set: 401 without the bearer token or with another one, 200 with it — whatever the Host", async () => {
    const { url, applied } = await start({ adminToken: TOKEN });
    const missing = await post(url, "/admin/stock", JSON_TYPE);
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(missing.body).toMatchObject({ error: "unauthorized" });
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}`, TOKEN, "Bearer "]) {
      expect({ authorization, status: (await post(url, "/admin/stock", { ...JSON_TYPE, authorization })).status }).toEqual({ authorization, status: 401 });
    }
    expect((await post(url, "/admin/stock/restored", JSON_TYPE, "{}")).status).toBe(401);
    expect(applied).toEqual([]);
    expect((await post(url, "/admin/stock", { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await post(url, "/admin/stock", { ...JSON_TYPE, authorization: `bearer  ${TOKEN}` })).status).toBe(200);
    // A service name (`http://synclag-engine:8080`) is fine with the token: a rebound page cannot know it.
    expect((await post(url, "/admin/stock", { ...JSON_TYPE, authorization: `Bearer ${TOKEN}`, host: "synclag-engine.shop.svc:8080" })).status).toBe(200);
    // The token does not let a web page in.
    expect((await post(url, "/admin/stock", { ...JSON_TYPE, authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" })).status).toBe(403);
    expect(applied).toHaveLength(3);
  });

  it("without a token, a request that came through a proxy (X-Forwarded-For, Forwarded, X-Real-IP) is not local: 403", async () => {
    const { url, applied } = await start();
    for (const headers of [{ "x-forwarded-for": "203.0.113.9" }, { forwarded: "for=203.0.113.9" }, { "x-real-ip": "203.0.113.9" }, { "x-forwarded-host": "hooks.example.com" }]) {
      const response = await post(url, "/admin/stock", { ...JSON_TYPE, ...headers });
      expect({ headers, status: response.status, error: response.body.error }).toEqual({ headers, status: 403, error: "not_local" });
    }
    expect(applied).toEqual([]);
  });

  it("decides by peer address: without a token only a loopback peer (IPv4-mapped included); with it, any peer that has it", () => {
    const decide = (remoteAddress: string | undefined, headers: IncomingHttpHeaders, adminToken?: string) =>
      adminRequestRefusal({ headers: { "content-type": "application/json", ...headers }, remoteAddress }, { host: "0.0.0.0", ...(adminToken === undefined ? {} : { adminToken }) })?.reason;
    expect(decide("127.0.0.1", {})).toBeUndefined();
    expect(decide("127.8.9.10", {})).toBeUndefined();
    expect(decide("::1", {})).toBeUndefined();
    expect(decide("::ffff:127.0.0.1", {})).toBeUndefined();
    expect(decide("10.0.0.7", {})).toBe("not_local");
    expect(decide("::ffff:10.0.0.7", {})).toBe("not_local");
    expect(decide("fe80::1", {})).toBe("not_local");
    expect(decide(undefined, {})).toBe("not_local");
    expect(decide("10.0.0.7", { authorization: `Bearer ${TOKEN}` }, TOKEN)).toBeUndefined();
    expect(decide("10.0.0.7", {}, TOKEN)).toBe("unauthorized");
    expect(decide("127.0.0.1", {}, TOKEN)).toBe("unauthorized");
  });
});

describe("admin routes: the warning at start", () => {
  const warning = (lines: ReadonlyArray<Record<string, unknown>>) => lines.filter((line) => line.level === 40 && /adminToken/.test(String(line.msg)));

  it("warns when the ingest listens off loopback without an admin token, naming the risk", async () => {
    const { lines } = await start({ host: "0.0.0.0" });
    expect(warning(lines)).toHaveLength(1);
    expect(warning(lines)[0]).toMatchObject({ host: "0.0.0.0" });
    expect(String(warning(lines)[0]?.msg)).toMatch(/\/admin\/\*.*loopback.*gateway/s);
  });

  it("warns when a proxy fronts a loopback ingest (publicUrl) without an admin token; not with one, nor on plain loopback", async () => {
    expect(warning((await start({ publicUrl: "https://hooks.example.com" })).lines)).toHaveLength(1);
    await server?.close();
    expect(warning((await start({ host: "0.0.0.0", adminToken: TOKEN })).lines)).toHaveLength(0);
    await server?.close();
    expect(warning((await start()).lines)).toHaveLength(0);
  });
});
