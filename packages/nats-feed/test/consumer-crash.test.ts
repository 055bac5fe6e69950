import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { OrderEvent } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { JetStreamOrderPublisher, provisionStreams, readDeadLetters } from "../src/index.js";
import { connectTo, natsMissing, uniqueNames, usePrivateNatsServer } from "./support.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const ORDERS = 400;

interface JournalLine {
  readonly kind: string;
  readonly orderId: string;
  readonly deliveryCount: number;
  readonly pid: number;
}

function readJournal(file: string): JournalLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.endsWith("}"))
    .map((line) => {
      const kind = line.slice(0, line.indexOf(" "));
      const body = JSON.parse(line.slice(line.indexOf(" ") + 1)) as { order: OrderEvent; deliveryCount: number; pid: number };
      return { kind, orderId: body.order.orderId, deliveryCount: body.deliveryCount, pid: body.pid };
    });
}

function startWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; exited: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "consumer-child.ts")], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
    child.once("exit", (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  ready.catch(() => {});
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, ready, exited, output: () => output };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: a worker killed mid-batch", () => {
  const nats = usePrivateNatsServer();

  it("loses no order when a worker is SIGKILLed mid-batch and another starts; redelivered orders are no-ops for the idempotent store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-crash-"));
    const journal = join(dir, "journal.log");
    const names = { ...uniqueNames("crash"), streamName: "ORDERS_CRASH", ackWaitMs: 1_000, backoffMs: [], maxDeliver: 20, duplicateWindowMs: 60_000 };
    const env = { NATS_URL: nats.url(), FEED_OPTIONS: JSON.stringify(names), JOURNAL: journal, HANDLER_DELAY_MS: "20", INITIAL_STOCK: "1000" };
    const connection = await connectTo(nats.url());
    const workers: ChildProcess[] = [];
    try {
      await provisionStreams(connection, names);
      const publisher = new JetStreamOrderPublisher({ connection, ...names });
      const events = Array.from({ length: ORDERS }, (_, i) => ({
        orderId: `crash-${i}`,
        sourceChannel: "shopify",
        lines: [{ sku: "SKU-CRASH", quantity: 1 }],
        confirmedAtMs: 1_700_000_000_000 + i,
      }));
      expect((await publisher.publishMany(events)).every((o) => o.ok)).toBe(true);

      const first = startWorker(env);
      workers.push(first.child);
      await first.ready;
      await pollUntil("the first worker applied a quarter of the orders", () => readJournal(journal).length >= ORDERS / 4, { timeoutMs: 15_000 });
      first.child.kill("SIGKILL");
      await first.exited;
      const appliedBeforeKill = new Set(readJournal(journal).map((l) => l.orderId));
      expect(appliedBeforeKill.size).toBeLessThan(ORDERS);

      const second = startWorker(env);
      workers.push(second.child);
      await second.ready;
      const jsm = await jetstreamManager(connection);
      await pollUntil(
        "every order was applied and the stream is empty",
        async () => new Set(readJournal(journal).map((l) => l.orderId)).size === ORDERS && (await jsm.streams.info(names.streamName)).state.messages === 0,
        { timeoutMs: 20_000 },
      );
      second.child.kill("SIGTERM");
      await second.exited;

      const lines = readJournal(journal);
      const applied = lines.filter((l) => l.kind === "applied");
      const duplicates = lines.filter((l) => l.kind === "duplicate");
      // Nothing lost, nothing applied twice.
      expect(new Set(applied.map((l) => l.orderId)).size).toBe(ORDERS);
      expect(applied).toHaveLength(ORDERS);
      // The orders in flight at the kill came back to the second worker and changed nothing.
      expect(duplicates.length).toBeGreaterThan(0);
      // Each is a redelivery (count ≥ 2) — or, on nats-server < 2.10.14, the same message sent again with its
      // count going backwards (2, then 1) after a delivery to the killed worker's pull failed
      // (nats-io/nats-server#5305): still a no-op, and only after a copy with count ≥ 2 was handled.
      const redelivered = (l: (typeof lines)[number], index: number) =>
        l.deliveryCount >= 2 || lines.slice(0, index).some((earlier) => earlier.orderId === l.orderId && earlier.pid === second.child.pid && earlier.deliveryCount >= 2);
      expect(lines.every((l, index) => l.kind !== "duplicate" || (l.pid === second.child.pid && redelivered(l, index)))).toBe(true);
      expect(lines.every((l) => l.kind === "applied" || l.kind === "duplicate")).toBe(true);
      expect(await readDeadLetters(connection, names)).toEqual([]);
    } finally {
      for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
