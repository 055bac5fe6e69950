// A throwaway ingest endpoint on a free loopback port: records every delivery (raw body, headers,
// URL) and answers with the status a test chooses.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  readonly path: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly atMs: number;
}

export interface IngestServer {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Status for the next deliveries (default 200). */
  respondWith(status: (delivery: Delivery) => number): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startIngestServer(): Promise<IngestServer> {
  const deliveries: Delivery[] = [];
  let status: (delivery: Delivery) => number = () => 200;
  let base = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const delivery = { path: req.url ?? "/", url: `${base}${req.url ?? "/"}`, method: req.method ?? "POST", headers, body: Buffer.concat(chunks).toString("utf8"), atMs: Date.now() };
      deliveries.push(delivery);
      res.writeHead(status(delivery)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    deliveries,
    respondWith(fn) {
      status = fn;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (deliveries.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} deliveries within ${timeoutMs} ms, got ${deliveries.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
