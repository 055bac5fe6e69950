// Child process of the marketplaces benchmark: serves either the Amazon mock (the real wire layer and
// pure model behind the node:http shell) or a plain node:http handler doing the same work by hand
// (parse the JSON body, find the quantity, update a map, answer a JSON body of the same shape), on a
// free loopback port, and prints `LISTENING <port>`. Runs until its parent kills it.
// Easy to get wrong: the mock's rate limiter is switched off here, or almost every request would be a
// cheap 429 and the comparison would measure the throttle path instead of the accept path.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { startMockMarketplaces } from "@synclag/mock-marketplaces";

export const BENCH_SKUS = 1_000;
const mode = process.argv[2];

// The parent asks for this process's CPU time over IPC: CPU µs per request is the figure that
// survives a machine shared with other work, where requests/s alone does not.
process.on("message", (message) => {
  if (message === "cpu") process.send?.({ cpuMicros: process.cpuUsage().user + process.cpuUsage().system });
});

if (mode === "mock" || mode === "mock-immediate") {
  // mock-immediate: the same, with updates visible at once — separates the cost of simulating
  // Amazon's accepted → visible delay (a pending queue of every accepted update) from the rest.
  const visibility = mode === "mock-immediate" ? { visibilityDelay: { kind: "constant", ms: 0 } as const } : {};
  const running = await startMockMarketplaces({
    kinds: ["amazon"],
    latency: "none",
    profiles: { amazon: { ...DEFAULT_PROFILES.amazon, rateLimit: { kind: "none" }, ...visibility } },
    seedListings: { count: BENCH_SKUS, stock: 1_000_000 },
  });
  process.stdout.write(`LISTENING ${new URL(running.get("amazon").url).port}\n`);
} else if (mode === "plain") {
  const listings = new Map<string, { quantity: number; version: number }>();
  for (let i = 1; i <= BENCH_SKUS; i++) listings.set(`sku-${i}`, { quantity: 1_000_000, version: 0 });
  let submission = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      const sku = decodeURIComponent(url.slice(0, url.indexOf("?")).split("/").pop() ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { patches: { value: { quantity: number }[] }[] };
      const quantity = body.patches[0]?.value[0]?.quantity ?? 0;
      const listing = listings.get(sku);
      if (listing) {
        listing.quantity = quantity;
        listing.version = Number(req.headers["x-synclag-version"] ?? listing.version + 1);
      }
      submission += 1;
      const reply = JSON.stringify({ sku, status: listing ? "ACCEPTED" : "INVALID", submissionId: `00000000-0000-4000-8000-${submission.toString(16).padStart(12, "0")}`, issues: [] });
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`));
} else {
  process.stderr.write("usage: server.ts mock|mock-immediate|plain\n");
  process.exit(2);
}
