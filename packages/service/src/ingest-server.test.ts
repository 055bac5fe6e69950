// The ingest gateway's answers for paths that are no channel: 404 for an unknown channel, 400 (never a
// 5xx, which marketplaces retry forever) for a malformed percent-encoding — each counted and logged
// (rate-limited), never as an internal error.
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { Labels, Metrics } from "@synclag/core";
import { captureLog } from "../test/log-capture.js";
import { startIngestServer, type RunningIngestServer } from "./ingest-server.js";

const capture = () => captureLog("info");

/** A raw POST (fetch would re-encode the path). */
function post(url: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, method: "POST", path, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end("{}");
  });
}

describe("ingest server: paths that are no channel", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start() {
    const counted: Array<[string, Labels | undefined]> = [];
    const metrics: Metrics = { increment: (name, labels) => void counted.push([name, labels]), observe: () => undefined, gauge: () => undefined };
    const { lines, logger } = capture();
    server = await startIngestServer({
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1024,
      channels: [{ id: "shopify", kind: "shopify", secret: "s" }],
      publish: () => Promise.reject(new Error("not expected")),
      metrics,
      logger,
      renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
      readiness: () => Promise.resolve({}),
    });
    return { url: server.url, counted, lines };
  }

  it("answers 400 with a clear body (not 500) to a malformed percent-encoding, counted and logged as a warning", async () => {
    const { url, counted, lines } = await start();
    const response = await post(url, "/ingest/%E0%A4%A");
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "bad_channel_path", known: ["shopify"] });
    expect(counted).toEqual([["ingest_rejected_total", { reason: "bad_path" }]]);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(lines.find((l) => l.level === 40)).toMatchObject({ reason: "bad_path", channelPath: "%E0%A4%A" });
  });

  it("counts every webhook to an unknown channel and logs them at most once per interval", async () => {
    const { url, counted, lines } = await start();
    for (let i = 0; i < 3; i++) expect((await post(url, "/ingest/amazon")).status).toBe(404);
    expect(counted).toEqual(Array.from({ length: 3 }, () => ["ingest_rejected_total", { reason: "unknown_channel" }]));
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ reason: "unknown_channel", channelPath: "amazon", known: ["shopify"] });
  });
});
