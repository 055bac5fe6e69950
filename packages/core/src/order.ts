// Order validation and normalisation — the single definition every StockStore adapter applies
// *before* its first write (Redis scripts do not roll back). Easy to get wrong: SKUs are compared
// after NFC normalisation, and duplicate SKUs in one order are merged (summed), so "A,A" and "2×A"
// are the same order for idempotency. See docs/decisions/0002-order-normalisation.md.

import { MAX_CHANNEL_ID_BYTES, MAX_LINES, MAX_ORDER_ID_BYTES, MAX_QUANTITY, MAX_SKU_BYTES } from "./limits.js";
import type { OrderLine, Problem } from "./types.js";

export interface NormalizedOrder {
  readonly orderId: string;
  readonly sourceChannel: string;
  /** Sorted by SKU, one line per SKU. */
  readonly lines: readonly OrderLine[];
  /** Canonical text of (source, lines), or the one the input carried: same id + different fingerprint = conflict. */
  readonly fingerprint: string;
}

const encoder = new TextEncoder();
const byteLength = (s: string): number => encoder.encode(s).length;
/** UTF-8 takes at most 3 bytes per UTF-16 unit: a short string needs no encoding to be known small enough. */
const exceedsBytes = (s: string, max: number): boolean => s.length * 3 > max && byteLength(s) > max;

/** Checks a SKU and returns its canonical (NFC) form, or a problem message. */
export function normalizeSku(value: unknown): { sku: string } | { problem: string } {
  if (typeof value !== "string") return { problem: "must be a string" };
  const sku = value.normalize("NFC");
  if (sku.length === 0) return { problem: "must not be empty" };
  if (exceedsBytes(sku, MAX_SKU_BYTES)) return { problem: `must be at most ${MAX_SKU_BYTES} bytes` };
  const problem = textProblem(sku);
  if (problem) return { problem };
  return { sku };
}

/**
 * Control characters would corrupt logs and line-based wire formats; a lone surrogate is not text
 * (Redis would store it as U+FFFD and merge distinct ids). Nothing legitimate needs either.
 */
// Hoisted: a regex literal inside the function is a new RegExp object per call (~12 per order on the
// engine's hot path). Neither is global or sticky, so `test` keeps no state between calls.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/u;
const LONE_SURROGATE = /\p{Cs}/u;

function textProblem(value: string): string | undefined {
  if (CONTROL_CHARACTERS.test(value)) return "must not contain control characters";
  if (LONE_SURROGATE.test(value)) return "must be well-formed Unicode (no lone surrogates)";
  return undefined;
}

/** A positive integer quantity within bounds; `allowZero` for absolute set operations. */
export function checkQuantity(value: unknown, allowZero = false): string | undefined {
  if (typeof value !== "number") return `must be a number, got ${typeof value}`;
  if (!Number.isInteger(value)) return "must be an integer";
  if (value < 0 || (!allowZero && value === 0)) return allowZero ? "must not be negative" : "must be at least 1";
  if (value > MAX_QUANTITY) return `must be at most ${MAX_QUANTITY}`;
  return undefined;
}

function checkId(value: unknown, maxBytes: number): string | undefined {
  if (typeof value !== "string" || value.length === 0) return "must be a non-empty string";
  if (exceedsBytes(value, maxBytes)) return `must be at most ${maxBytes} bytes`;
  return textProblem(value);
}

/** Normalized line arrays (frozen) → their part of the fingerprint. Weak: they go with their orders. */
const NORMALIZED_LINES = new WeakMap<object, string>();

/**
 * Validates an order-shaped value and returns its normal form, or every problem found (never just
 * the first one). Pure; does not know which SKUs exist (that is the store's check).
 */
export function normalizeOrder(input: {
  readonly orderId: unknown;
  readonly sourceChannel: unknown;
  readonly lines: unknown;
  /** The order's identity as placed, given by a wrapper that rewrote its lines (`OrderInput.fingerprint`). */
  readonly fingerprint?: unknown;
}): { ok: true; order: NormalizedOrder } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const idProblem = checkId(input.orderId, MAX_ORDER_ID_BYTES);
  if (idProblem) problems.push({ path: "orderId", message: idProblem });
  const channelProblem = checkId(input.sourceChannel, MAX_CHANNEL_ID_BYTES);
  if (channelProblem) problems.push({ path: "sourceChannel", message: channelProblem });
  const given = input.fingerprint;
  if (given !== undefined) {
    // Any text of a fingerprint normalizeOrder made (SKUs are JSON-quoted): no control characters, no lone surrogates.
    const problem = typeof given !== "string" || given.length === 0 ? "must be a non-empty string" : textProblem(given);
    if (problem) problems.push({ path: "fingerprint", message: problem });
  }
  // Lines this function produced (frozen, so still exactly what it checked): an order validated by the
  // feed is validated again by the store — the ids are checked again, the lines need not be.
  const known = NORMALIZED_LINES.get(input.lines as object);
  if (known !== undefined) {
    if (problems.length > 0) return { ok: false, problems };
    const sourceChannel = input.sourceChannel as string;
    return { ok: true, order: { orderId: input.orderId as string, sourceChannel, lines: input.lines as NormalizedOrder["lines"], fingerprint: (given as string | undefined) ?? `${sourceChannel}|${known}` } };
  }
  const merged = new Map<string, number>();
  if (!Array.isArray(input.lines)) {
    problems.push({ path: "lines", message: "must be an array" });
  } else if (input.lines.length === 0) {
    problems.push({ path: "lines", message: "must contain at least one line" });
  } else if (input.lines.length > MAX_LINES) {
    problems.push({ path: "lines", message: `must contain at most ${MAX_LINES} lines` });
  } else {
    input.lines.forEach((line: unknown, index) => {
      if (typeof line !== "object" || line === null) {
        problems.push({ path: `lines.${index}`, message: "must be an object" });
        return;
      }
      const { sku, quantity } = line as { sku?: unknown; quantity?: unknown };
      const normalized = normalizeSku(sku);
      if ("problem" in normalized) problems.push({ path: `lines.${index}.sku`, message: normalized.problem });
      const quantityProblem = checkQuantity(quantity);
      if (quantityProblem) problems.push({ path: `lines.${index}.quantity`, message: quantityProblem });
      if ("sku" in normalized && !quantityProblem) {
        const total = (merged.get(normalized.sku) ?? 0) + (quantity as number);
        if (total > 0 && total <= Number.MAX_SAFE_INTEGER) merged.set(normalized.sku, total);
      }
    });
    for (const [sku, total] of merged) {
      if (total > MAX_QUANTITY) problems.push({ path: "lines", message: `total quantity of ${JSON.stringify(sku)} exceeds ${MAX_QUANTITY}` });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const lines = Object.freeze(
    [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => Object.freeze({ sku, quantity })),
  );
  const orderId = input.orderId as string;
  const sourceChannel = input.sourceChannel as string;
  const linesKey = lines.map((l) => `${JSON.stringify(l.sku)}:${l.quantity}`).join(",");
  NORMALIZED_LINES.set(lines, linesKey);
  return { ok: true, order: { orderId, sourceChannel, lines, fingerprint: (given as string | undefined) ?? `${sourceChannel}|${linesKey}` } };
}

/**
 * The marketplace order an engine order id is a line of, when the id names a line: the engine's ids are
 * `<sourceChannel>:<nativeOrderId>`, and for a marketplace that notifies every line item on its own
 * (eBay) `<sourceChannel>:<nativeOrderId>:<lineItemId>` — whose group is `<sourceChannel>:<nativeOrderId>`.
 * A cancellation at such a marketplace acts on the whole order (the channel clients drop the line part),
 * so the group's other lines are cancelled with it. Undefined for an id that names a whole order.
 */
export function orderGroupOf(orderId: string, sourceChannel: string): string | undefined {
  const prefix = `${sourceChannel}:`;
  if (!orderId.startsWith(prefix)) return undefined;
  const colon = orderId.indexOf(":", prefix.length);
  // A native id and a line id, both non-empty.
  if (colon <= prefix.length || colon === orderId.length - 1) return undefined;
  return orderId.slice(0, colon);
}

/** Problems of a `settleOrderGroup` input (the same in every store), or undefined. */
export function orderGroupInputProblem(input: { readonly group: unknown; readonly line?: unknown; readonly cancel?: unknown }): string | undefined {
  const group = checkId(input.group, MAX_ORDER_ID_BYTES);
  if (group) return `group ${group}`;
  if (input.line !== undefined) {
    const line = checkId(input.line, MAX_ORDER_ID_BYTES);
    if (line) return `line ${line}`;
  }
  if (input.cancel !== undefined && typeof input.cancel !== "boolean") return "cancel must be a boolean";
  return undefined;
}
