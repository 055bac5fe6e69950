// The duplicate-window guard against a fake JetStream (message id → first content): identical
// re-deliveries dedupe on the plain id; a reused id with other lines reaches the store under its own id.
import { describe, expect, it } from "vitest";
import type { OrderEvent } from "@synclag/core";
import { OrderIdGuard, orderContentHash } from "./order-id-guard.js";

function order(id: string, quantity: number, confirmedAtMs = 1): OrderEvent {
  return { orderId: id, sourceChannel: "shopify", lines: [{ sku: "SKU-1", quantity }], confirmedAtMs } as unknown as OrderEvent;
}

function fakeStream() {
  const stored: Array<{ messageId: string; event: OrderEvent }> = [];
  const ids = new Set<string>();
  const put = (event: OrderEvent, messageId: string) => {
    if (ids.has(messageId)) return Promise.resolve({ duplicate: true });
    ids.add(messageId);
    stored.push({ messageId, event });
    return Promise.resolve({ duplicate: false });
  };
  return { stored, ids, put };
}

describe("OrderIdGuard", () => {
  function setup(options: { rememberMs?: number; maxEntries?: number } = {}) {
    const stream = fakeStream();
    let now = 0;
    const rechecks: unknown[] = [];
    const guard = new OrderIdGuard({
      publish: (event) => stream.put(event, event.orderId),
      publishAs: (event, messageId) => stream.put(event, messageId),
      messageIdFor: (id) => id,
      rememberMs: options.rememberMs ?? 120_000,
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      now: () => now,
      onRecheck: (info) => rechecks.push(info),
    });
    return { stream, guard, rechecks, advance: (ms: number) => (now += ms) };
  }

  it("keeps deduplicating identical re-deliveries on the plain order id (confirmation time and line order do not matter)", async () => {
    const { stream, guard } = setup();
    expect(await guard.publish(order("o1", 2, 1))).toEqual({ duplicate: false, rechecked: false });
    expect(await guard.publish(order("o1", 2, 999))).toEqual({ duplicate: true, rechecked: false });
    expect(stream.stored.map((s) => s.messageId)).toEqual(["o1"]);
  });

  it("publishes a reused id with other lines under a distinct message id (once per content), so the store sees the conflict", async () => {
    const { stream, guard, rechecks } = setup();
    await guard.publish(order("o1", 2));
    const conflicting = await guard.publish(order("o1", 3));
    expect(conflicting).toEqual({ duplicate: false, rechecked: true });
    const hash = orderContentHash(order("o1", 3));
    expect(stream.stored.map((s) => s.messageId)).toEqual(["o1", `o1%#${hash}`]);
    expect(rechecks).toEqual([{ orderId: "o1", channel: "shopify", messageId: `o1%#${hash}`, known: true, duplicate: false }]);
    // The conflicting webhook redelivered: JetStream dedupes its own id.
    expect(await guard.publish(order("o1", 3))).toEqual({ duplicate: true, rechecked: true });
    // The original redelivered: still the plain duplicate.
    expect(await guard.publish(order("o1", 2))).toEqual({ duplicate: true, rechecked: false });
    expect(stream.stored).toHaveLength(2);
  });

  it("lets the store decide when it does not know what the stream holds (forgotten, or another process published it)", async () => {
    const { stream, guard, rechecks } = setup({ maxEntries: 1 });
    stream.ids.add("o0"); // stored by a previous process
    expect(await guard.publish(order("o0", 5))).toEqual({ duplicate: false, rechecked: true });
    expect(rechecks).toMatchObject([{ orderId: "o0", known: false }]);
    await guard.publish(order("o1", 1));
    await guard.publish(order("o2", 1)); // o1 is forgotten (bound 1)
    expect(guard.size).toBe(1);
    expect(await guard.publish(order("o1", 1))).toMatchObject({ rechecked: true });
  });

  it("forgets an id after rememberMs", async () => {
    const { guard, advance } = setup({ rememberMs: 1_000 });
    await guard.publish(order("o1", 2));
    advance(1_001);
    await guard.publish(order("o2", 2));
    expect(guard.size).toBe(1);
  });
});
