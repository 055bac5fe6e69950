// The wire schema of an order event (JSON on the feed). Decoding and validation happen here once, so
// the JetStream consumer, the ingest gateway and the simulator reject the same things with the same
// reasons. Unknown fields are ignored (stripped), so producers can add fields without breaking
// older workers; the policy is recorded in docs/decisions/0002-order-normalisation.md.

import { z } from "zod";
import { MAX_LINES } from "./limits.js";
import { normalizeOrder } from "./order.js";
import type { OrderEvent, Problem } from "./types.js";

export const orderEventSchema = z.object({
  orderId: z.string().min(1),
  sourceChannel: z.string().min(1),
  lines: z
    .array(z.object({ sku: z.string(), quantity: z.number().int().positive() }))
    .min(1)
    .max(MAX_LINES),
  confirmedAtMs: z.number().int().nonnegative(),
});

/** Largest encoded event accepted (bytes). Real orders are a few hundred bytes. */
export const MAX_ORDER_EVENT_BYTES = 64 * 1024;

export type DecodeResult = { ok: true; event: OrderEvent } | { ok: false; problems: Problem[] };

function fromZod(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/** Validates an already-parsed value as an order event, including the store's own line rules. */
export function validateOrderEvent(value: unknown): DecodeResult {
  // Fast path (every valid event): `normalizeOrder` checks everything the schema does but the time
  // stamp, so the schema runs only to word the problems of an event that fails.
  if (typeof value === "object" && value !== null) {
    const { orderId, sourceChannel, lines, confirmedAtMs } = value as Record<string, unknown>;
    if (typeof confirmedAtMs === "number" && Number.isSafeInteger(confirmedAtMs) && confirmedAtMs >= 0) {
      const normalized = normalizeOrder({ orderId, sourceChannel, lines });
      if (normalized.ok) return { ok: true, event: { orderId: normalized.order.orderId, sourceChannel: normalized.order.sourceChannel, lines: normalized.order.lines, confirmedAtMs } };
    }
  }
  const parsed = orderEventSchema.safeParse(value);
  if (!parsed.success) return { ok: false, problems: fromZod(parsed.error) };
  const normalized = normalizeOrder(parsed.data);
  if (!normalized.ok) return { ok: false, problems: normalized.problems };
  return { ok: true, event: { ...parsed.data, lines: normalized.order.lines } };
}

/** One decoder for every event: a non-streaming `decode` keeps no state between calls. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes raw bytes (UTF-8 JSON) into a validated order event; never throws. */
export function decodeOrderEvent(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength > MAX_ORDER_EVENT_BYTES) {
    return { ok: false, problems: [{ path: "", message: `event is ${bytes.byteLength} bytes, limit ${MAX_ORDER_EVENT_BYTES}` }] };
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { ok: false, problems: [{ path: "", message: "not valid UTF-8" }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ path: "", message: `malformed JSON: ${(error as Error).message}` }] };
  }
  return validateOrderEvent(value);
}

export function encodeOrderEvent(event: OrderEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event));
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ");
}
