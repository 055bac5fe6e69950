// A reply the marketplace "lost" (the update applied, no answer) is held under msw until the client
// gives up — not for the whole hold: msw's delay() could not be cancelled, and a held reply kept the
// process alive for heldReplyMs after its client had timed out (found by review: 8 s after a 300 ms
// timeout). Run in a child process, since what is measured is when it can exit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

describe("msw shell: a held (lost) reply", () => {
  it("ends when the client aborts, so the process exits at once instead of after heldReplyMs", () => {
    const script = join(mkdtempSync(join(tmpdir(), "synclag-msw-")), "held.mts");
    writeFileSync(
      script,
      `import { MockMarketplace, DEFAULT_MOCK_CREDENTIALS } from ${JSON.stringify(join(src, "index.ts"))};
import { createMswHandlers, loadMswNode } from ${JSON.stringify(join(src, "msw.ts"))};
const amazon = new MockMarketplace({ kind: "amazon", heldReplyMs: 20_000 });
amazon.seed([{ sku: "B", quantity: 4, version: 1 }]);
amazon.injectFaults({ timeoutAfterApplyRate: 1 });
const { setupServer } = await loadMswNode();
const server = setupServer(...(await createMswHandlers([{ baseUrl: "https://sp.example", marketplace: amazon }])));
server.listen();
const c = DEFAULT_MOCK_CREDENTIALS.amazon;
const started = Date.now();
try {
  await fetch(\`https://sp.example/listings/2021-08-01/items/\${c.sellerId}/B?marketplaceIds=\${c.marketplaceId}\`, { method: "PATCH", signal: AbortSignal.timeout(300), headers: { "x-amz-access-token": c.accessToken, "content-type": "application/json" }, body: JSON.stringify({ productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: 9 }] }] }) });
} catch {}
server.close();
amazon.stop();
process.on("exit", () => console.log(JSON.stringify({ accepted: amazon.model.listing("B")?.acceptedQuantity, exitAfterMs: Date.now() - started })));
`,
    );
    const result = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: resolve(src, "../../.."), encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const { accepted, exitAfterMs } = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as { accepted: number; exitAfterMs: number };
    expect(accepted).toBe(9); // applied, reply lost
    expect(exitAfterMs).toBeLessThan(10_000); // not the 20 s hold
  }, 60_000);
});
