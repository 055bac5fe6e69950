// The fast shell: a plain `node:http` server in front of one or more mock marketplaces (one per
// port, or several path-prefixed on one port). Used by the real-time runner, the CLI and the load
// benchmark — msw served over HTTP manages ~2 k req/s here, this shell does not stand in the way.
// Easy to get wrong: a *lost* reply must really be lost — the update was applied, the socket is held
// and then destroyed without a byte, so the client sees a timeout, not an error status.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { MockMarketplace } from "../mock-marketplace.js";
import { jsonReply, type WireOutcome, type WireReply, type WireRequest } from "../wire/wire.js";

/** Largest request body accepted (bytes); a batch of 250 Shopify entries is ~40 KB. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface Mount {
  /** Path prefix ("" or e.g. "/shopify"); requests under it go to `marketplace` with the prefix removed. */
  readonly prefix: string;
  readonly marketplace: MockMarketplace;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function toWireHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  // Node joins repeated request headers with ", " already; only set-cookie stays an array.
  if (headers["set-cookie"] === undefined) return headers as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function findMount(mounts: readonly Mount[], path: string): { mount: Mount; rest: string } | undefined {
  for (const mount of mounts) {
    if (mount.prefix === "") return { mount, rest: path };
    if (path === mount.prefix || path.startsWith(mount.prefix + "/")) return { mount, rest: path.slice(mount.prefix.length) || "/" };
  }
  return undefined;
}

function write(res: ServerResponse, reply: WireReply): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

/** Starts the server on `host:port` (0 = a free port). */
export async function serveMarketplaces(mounts: readonly Mount[], options: { readonly host: string; readonly port: number }): Promise<RunningServer> {
  const held = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const fullPath = q < 0 ? raw : raw.slice(0, q);
    const found = findMount(sorted, fullPath);
    if (!found) {
      write(res, jsonReply(404, { error: "not_found", message: `no marketplace mounted at ${fullPath}`, mounts: mounts.map((m) => m.prefix || "/") }));
      return;
    }
    const request: WireRequest = { method: req.method ?? "GET", path: found.rest, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)), headers: toWireHeaders(req.headers), body };
    const received = found.mount.marketplace.receive(request);
    if (received.waitMs > 0) {
      // The first half of a sampled round trip: the request reaches the marketplace only then.
      const timer = setTimeout(() => {
        held.delete(timer);
        answer(req, res, received.respond());
      }, received.waitMs);
      held.add(timer);
      return;
    }
    answer(req, res, received.respond());
  };

  const answer = (req: IncomingMessage, res: ServerResponse, outcome: WireOutcome) => {
    if (outcome.replyLost) {
      const timer = setTimeout(() => {
        held.delete(timer);
        req.socket.destroy();
      }, outcome.holdMs);
      held.add(timer);
      return;
    }
    if (outcome.delayMs > 0) {
      const timer = setTimeout(() => {
        held.delete(timer);
        write(res, outcome.reply);
      }, outcome.delayMs);
      held.add(timer);
      return;
    }
    write(res, outcome.reply);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) write(res, jsonReply(413, { error: "payload_too_large", message: `body exceeds ${MAX_BODY_BYTES} bytes` }));
      else handle(req, res, chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of held) clearTimeout(timer);
        held.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
