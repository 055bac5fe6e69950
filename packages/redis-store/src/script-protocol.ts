// Encoding of store operations into the APPLY script's KEYS/ARGV, and decoding of its replies and of
// the audit / outbox stream entries into the core's types. Pure: tested without a server.
// Easy to get wrong: KEYS and ARGV are walked in step by the script (one key per order + one per line),
// and the decoded values must equal the in-memory model's exactly — same messages, same optional
// fields present or absent — or the contract suite's audit comparison fails.

import { MAX_QUANTITY } from "@synclag/core";
import type {
  AppliedOutcome,
  ApplyResult,
  AuditKind,
  AuditRecord,
  InsufficientOutcome,
  NormalizedOrder,
  OutboxEntry,
  OrderGroupSettlement,
  PendingCancellation,
  Shortage,
  Sku,
  SkuChange,
  StockChangeResult,
  StockLevel,
} from "@synclag/core";
import { RedisStockStoreError } from "./errors.js";
import type { StockKeys } from "./keys.js";

export type ApplyOp =
  | { readonly kind: "order"; readonly order: NormalizedOrder }
  | { readonly kind: "restock" | "set"; readonly sku: Sku; readonly quantity: number; readonly reason?: string };

export interface ScriptCall {
  readonly keys: string[];
  readonly args: string[];
}

/** The model's messages, reproduced exactly (the contract suite compares them). */
export const CONFLICT_MESSAGE = "order id was already used with different lines or source channel";
export const unknownSkuMessage = (sku: Sku): string => `unknown SKU ${JSON.stringify(sku)}`;
export const EXCEEDS_MAX_MESSAGE = `resulting stock would exceed ${MAX_QUANTITY}`;

/** Builds KEYS and ARGV for one APPLY call (ops must already be validated and normalised). */
export function encodeApply(keys: StockKeys, ops: readonly ApplyOp[], atMs: number, idempotencyTtlMs: number): ScriptCall {
  const scriptKeys = [keys.seq, keys.audit, keys.outbox, keys.skus, keys.cancellations];
  const args = [String(atMs), String(idempotencyTtlMs), String(ops.length)];
  for (const op of ops) {
    if (op.kind === "order") {
      const { order } = op;
      scriptKeys.push(keys.order(order.orderId));
      args.push("O", order.orderId, order.sourceChannel, order.fingerprint, String(order.lines.length));
      for (const line of order.lines) {
        scriptKeys.push(keys.sku(line.sku));
        args.push(line.sku, String(line.quantity));
      }
    } else {
      scriptKeys.push(keys.sku(op.sku));
      args.push(op.kind === "restock" ? "R" : "S", op.sku, String(op.quantity), op.reason === undefined ? "0" : "1", op.reason ?? "");
    }
  }
  return { keys: scriptKeys, args };
}

function corrupt(message: string): never {
  throw new RedisStockStoreError("corrupt_state", message, { retryable: false });
}

/** A bulk string reply as text (node-redis may be configured to return Buffers). */
export function asText(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return corrupt(`${what}: expected a string reply, got ${typeof value}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RedisStockStoreError("corrupt_state", `${what}: not JSON`, { cause: error, retryable: false });
  }
}

/** cjson encodes an empty Lua table as `{}`; every list the scripts emit is an array otherwise. */
function list(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "object" && value !== null && Object.keys(value).length === 0) return [];
  return corrupt(`${what}: expected a list`);
}

function integer(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,16}$/u.test(value)) return Number(value);
  return corrupt(`${what}: expected an integer, got ${JSON.stringify(value)}`);
}

function text(value: unknown, what: string): string {
  return typeof value === "string" ? value : corrupt(`${what}: expected a string`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : corrupt(`${what}: expected an object`);
}

function decodeChange(value: unknown, what: string): SkuChange {
  const [sku, delta, quantity, version] = list(value, what);
  return { sku: text(sku, what), delta: integer(delta, what), quantity: integer(quantity, what), version: integer(version, what) };
}

function decodeShortage(value: unknown, what: string): Shortage {
  const [sku, requested, available] = list(value, what);
  return { sku: text(sku, what), requested: integer(requested, what), available: integer(available, what) };
}

function decodeOutcome(value: unknown, orderId: string): AppliedOutcome | InsufficientOutcome {
  const outcome = record(value, "stored outcome");
  const auditSeq = integer(outcome.s, "stored outcome seq");
  if (outcome.k === "a") {
    return { kind: "applied", orderId, changes: list(outcome.c, "changes").map((c) => decodeChange(c, "change")), auditSeq };
  }
  if (outcome.k === "i") {
    return { kind: "insufficient", orderId, shortages: list(outcome.h, "shortages").map((s) => decodeShortage(s, "shortage")), auditSeq };
  }
  return corrupt(`stored outcome: unknown kind ${JSON.stringify(outcome.k)}`);
}

function decodeOrderResult(value: unknown, order: NormalizedOrder): ApplyResult {
  const result = record(value, "order result");
  const { orderId } = order;
  switch (result.k) {
    case "a":
    case "i":
      return decodeOutcome(result, orderId);
    case "d":
      return { kind: "duplicate", orderId, original: decodeOutcome(result.o, orderId) };
    case "c":
      return { kind: "conflict", orderId, message: CONFLICT_MESSAGE };
    case "u":
      return {
        kind: "invalid",
        orderId,
        problems: list(result.x, "unknown lines").map((index) => {
          const line = order.lines[integer(index, "line index")];
          if (!line) return corrupt("unknown line index out of range");
          return { path: `lines.${integer(index, "line index")}.sku`, message: unknownSkuMessage(line.sku) };
        }),
      };
    default:
      return corrupt(`order result: unknown kind ${JSON.stringify(result.k)}`);
  }
}

function decodeMutationResult(value: unknown): StockChangeResult {
  const result = record(value, "mutation result");
  if (result.k === "m") return { kind: "changed", change: decodeChange(result.c, "change"), auditSeq: integer(result.s, "seq") };
  if (result.k === "x") return { kind: "invalid", problems: [{ path: "quantity", message: EXCEEDS_MAX_MESSAGE }] };
  return corrupt(`mutation result: unknown kind ${JSON.stringify(result.k)}`);
}

/** Decodes the APPLY reply: for an order op an `ApplyResult`, for a restock/set a `StockChangeResult`. */
export function decodeApplyReply(reply: unknown, ops: readonly ApplyOp[]): (ApplyResult | StockChangeResult)[] {
  const results = list(parseJson(asText(reply, "apply reply"), "apply reply"), "apply reply");
  if (results.length !== ops.length) corrupt(`apply reply: ${results.length} results for ${ops.length} operations`);
  return ops.map((op, index) => (op.kind === "order" ? decodeOrderResult(results[index], op.order) : decodeMutationResult(results[index])));
}

/** Decodes the READ_LEVELS reply: one level (or undefined for a missing SKU) per key. */
export function decodeLevels(reply: unknown, count: number): (StockLevel | undefined)[] {
  const levels = list(parseJson(asText(reply, "levels reply"), "levels reply"), "levels reply");
  if (levels.length !== count) corrupt(`levels reply: ${levels.length} levels for ${count} keys`);
  return levels.map((level) => {
    if (level === false) return undefined;
    const [quantity, version] = list(level, "level");
    return { quantity: integer(quantity, "stored quantity"), version: integer(version, "stored version") };
  });
}

/** A stream entry as node-redis returns it from a raw XRANGE: `[id, [field, value, …]]`. */
export function decodeStreamEntry(raw: unknown): { id: string; fields: Map<string, string> } {
  const [id, flat] = list(raw, "stream entry");
  const values = list(flat, "stream entry fields");
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < values.length; i += 2) fields.set(asText(values[i], "field name"), asText(values[i + 1], "field value"));
  return { id: asText(id, "stream entry id"), fields };
}

const auditKinds: ReadonlySet<string> = new Set<AuditKind>(["order", "insufficient", "restock", "set"]);

/** The seq of an audit entry is the first part of its stream id (`<seq>-0`). */
export function auditSeqOfId(id: string): number {
  const match = /^(\d{1,16})-0$/u.exec(id);
  return match ? Number(match[1]) : corrupt(`audit entry id ${JSON.stringify(id)} is not <seq>-0`);
}

export function decodeAuditEntry(id: string, fields: ReadonlyMap<string, string>): AuditRecord {
  const kind = fields.get("kind") ?? "";
  if (!auditKinds.has(kind)) corrupt(`audit entry ${id}: unknown kind ${JSON.stringify(kind)}`);
  const orderId = fields.get("orderId");
  const sourceChannel = fields.get("sourceChannel");
  const reason = fields.get("reason");
  const shortages = fields.get("shortages");
  return {
    seq: auditSeqOfId(id),
    atMs: Number(fields.get("atMs")),
    kind: kind as AuditKind,
    ...(orderId === undefined ? {} : { orderId }),
    ...(sourceChannel === undefined ? {} : { sourceChannel }),
    ...(reason === undefined ? {} : { reason }),
    changes: list(parseJson(fields.get("changes") ?? "[]", "audit changes"), "audit changes").map((c) => decodeChange(c, "audit change")),
    ...(shortages === undefined ? {} : { shortages: list(parseJson(shortages, "audit shortages"), "audit shortages").map((s) => decodeShortage(s, "audit shortage")) }),
  };
}

export function decodeOutboxEntry(id: string, fields: ReadonlyMap<string, string>): OutboxEntry {
  const sourceChannel = fields.get("sourceChannel");
  return {
    id,
    atMs: Number(fields.get("atMs")),
    ...(sourceChannel === undefined ? {} : { sourceChannel }),
    changes: list(parseJson(fields.get("changes") ?? "[]", "outbox changes"), "outbox changes").map((c) => decodeChange(c, "outbox change")),
  };
}

/** A pending-cancellation member as APPLY writes it: `[seq,"orderId","sourceChannel","atMs"]`. */
export function decodePendingCancellation(member: unknown): PendingCancellation {
  const what = "pending cancellation";
  const [seq, orderId, sourceChannel, atMs, skus] = list(parseJson(asText(member, what), what), what);
  const at = Number(text(atMs, what));
  if (!Number.isFinite(at)) corrupt(`${what}: atMs ${JSON.stringify(atMs)} is not a number`);
  const decoded = { seq: integer(seq, what), orderId: text(orderId, what), sourceChannel: text(sourceChannel, what), atMs: at };
  if (decoded.seq < 1) corrupt(`${what}: seq ${decoded.seq} is not positive`);
  // Members written before the SKUs were recorded have four elements.
  if (skus === undefined) return decoded;
  return { ...decoded, skus: list(skus, `${what} SKUs`).map((sku) => text(sku, `${what} SKU`)) };
}

/** Decodes the SETTLE_GROUP reply. */
export function decodeSettleGroupReply(reply: unknown): OrderGroupSettlement {
  const what = "settle group reply";
  const decoded = record(parseJson(asText(reply, what), what), what);
  return {
    cancelled: decoded.c === 1,
    released: list(decoded.r, what).map((value) => {
      const line = record(value, "released line");
      return { orderId: text(line.o, "released line id"), auditSeq: integer(line.s, "released line seq"), changes: list(line.c, "released changes").map((c) => decodeChange(c, "released change")) };
    }),
  };
}
