// The stock rules as a synchronous reference model, and the in-memory StockStore over it.
// Every adapter (Redis + Lua included) must behave exactly like this; the contract suite in
// @synclag/testkit runs the same cases against all of them. Easy to get wrong: validate *every*
// line before the first write, and record the idempotency entry in the same step as the decrement.
// An order rejected as `insufficient` is recorded too (audit + idempotency + a pending cancellation, no
// stock change), so a redelivery after a restock cannot fill an order that was already cancelled, and
// the cancellation the source channel is owed is kept until the engine removes it. Order groups
// (`settleOrderGroup`): lines of one marketplace order applied as orders of their own are given back
// once that whole order is cancelled — each line once, whichever of "line recorded" and "cancelled"
// comes first.

import { checkQuantity, normalizeOrder, normalizeSku, orderGroupInputProblem } from "./order.js";
import type { Clock, OrderGroupInput, OrderInput, StockMutationInput, StockStore } from "./ports.js";
import type {
  AppliedOutcome,
  ApplyResult,
  AuditRecord,
  InsufficientOutcome,
  OrderGroupSettlement,
  OutboxEntry,
  PendingCancellation,
  Problem,
  ReleasedOrder,
  Shortage,
  Sku,
  SkuChange,
  StockChangeResult,
  StockLevel,
} from "./types.js";
import { MAX_QUANTITY } from "./limits.js";

/** A lone surrogate has no UTF-8 form (Redis would store U+FFFD): a reason must be well-formed text. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A read's limit: NaN or ≤ 0 → 0, fractional → floor, Infinity → no limit (the Redis store reads alike). */
function readLimit(limit: number): number {
  return typeof limit === "number" && limit > 0 ? Math.floor(limit) : 0;
}

/** A read's afterSeq: missing, NaN or ≤ 0 → 0 (from the start), fractional → floor (the Redis store reads alike). */
function readAfterSeq(afterSeq: number | undefined): number {
  return typeof afterSeq === "number" && afterSeq > 0 ? Math.floor(afterSeq) : 0;
}

interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly outcome: AppliedOutcome | InsufficientOutcome;
}

export interface StockModelOptions {
  readonly clock: Clock;
  /** Keep audit records in memory (the simulator's checkers read them). Default true. */
  readonly keepAudit?: boolean;
}

export class StockModel {
  private readonly levels = new Map<Sku, { quantity: number; version: number }>();
  private readonly applied = new Map<string, IdempotencyRecord>();
  private readonly audit: AuditRecord[] = [];
  private readonly outbox = new Map<string, OutboxEntry>();
  /** By seq; insertion order is seq order (seqs only grow). */
  private readonly pendingCancellations = new Map<number, PendingCancellation>();
  /** Order groups (`settleOrderGroup`): cancelled or not, and each recorded line → given back yet. */
  private readonly groups = new Map<string, { cancelled: boolean; readonly lines: Map<string, boolean> }>();
  private auditSeq = 0;
  private outboxSeq = 0;
  private readonly clock: Clock;
  private readonly keepAudit: boolean;

  constructor(options: StockModelOptions) {
    this.clock = options.clock;
    this.keepAudit = options.keepAudit ?? true;
  }

  applyOrder(input: OrderInput): ApplyResult {
    const normalized = normalizeOrder(input);
    if (!normalized.ok) {
      const orderId = typeof input.orderId === "string" ? input.orderId : undefined;
      return orderId === undefined ? { kind: "invalid", problems: normalized.problems } : { kind: "invalid", orderId, problems: normalized.problems };
    }
    const order = normalized.order;
    const previous = this.applied.get(order.orderId);
    if (previous) {
      if (previous.fingerprint !== order.fingerprint) {
        return { kind: "conflict", orderId: order.orderId, message: "order id was already used with different lines or source channel" };
      }
      return { kind: "duplicate", orderId: order.orderId, original: previous.outcome };
    }
    const unknown: Problem[] = [];
    const shortages: Shortage[] = [];
    order.lines.forEach((line, index) => {
      const level = this.levels.get(line.sku);
      if (!level) unknown.push({ path: `lines.${index}.sku`, message: `unknown SKU ${JSON.stringify(line.sku)}` });
      else if (level.quantity < line.quantity) shortages.push({ sku: line.sku, requested: line.quantity, available: level.quantity });
    });
    if (unknown.length > 0) return { kind: "invalid", orderId: order.orderId, problems: unknown };
    const atMs = this.clock.now();
    if (shortages.length > 0) {
      const auditSeq = this.appendAudit({ atMs, kind: "insufficient", orderId: order.orderId, sourceChannel: order.sourceChannel, changes: [], shortages });
      const outcome: InsufficientOutcome = { kind: "insufficient", orderId: order.orderId, shortages, auditSeq };
      this.applied.set(order.orderId, { fingerprint: order.fingerprint, outcome });
      this.pendingCancellations.set(auditSeq, { seq: auditSeq, orderId: order.orderId, sourceChannel: order.sourceChannel, atMs, skus: order.lines.map((line) => line.sku) });
      return outcome;
    }
    const changes: SkuChange[] = order.lines.map((line) => {
      const level = this.levels.get(line.sku) as { quantity: number; version: number };
      level.quantity -= line.quantity;
      level.version += 1;
      return { sku: line.sku, delta: -line.quantity, quantity: level.quantity, version: level.version };
    });
    const auditSeq = this.appendAudit({ atMs, kind: "order", orderId: order.orderId, sourceChannel: order.sourceChannel, changes });
    this.appendOutbox({ atMs, sourceChannel: order.sourceChannel, changes });
    const outcome: AppliedOutcome = { kind: "applied", orderId: order.orderId, changes, auditSeq };
    this.applied.set(order.orderId, { fingerprint: order.fingerprint, outcome });
    return outcome;
  }

  restock(input: StockMutationInput): StockChangeResult {
    return this.mutate(input, "restock");
  }

  setQuantity(input: StockMutationInput): StockChangeResult {
    return this.mutate(input, "set");
  }

  private mutate(input: StockMutationInput, kind: "restock" | "set"): StockChangeResult {
    const problems: Problem[] = [];
    const normalized = normalizeSku(input.sku);
    if ("problem" in normalized) problems.push({ path: "sku", message: normalized.problem });
    const quantityProblem = checkQuantity(input.quantity, kind === "set");
    if (quantityProblem) problems.push({ path: "quantity", message: quantityProblem });
    // The audit stores the reason as text: anything else is refused (same problem as the Redis store).
    const reason: unknown = input.reason;
    if (reason !== undefined && (typeof reason !== "string" || LONE_SURROGATE.test(reason))) {
      problems.push({ path: "reason", message: typeof reason === "string" ? "must be well-formed Unicode (it contains a lone surrogate)" : "must be a string" });
    }
    if (problems.length > 0 || !("sku" in normalized)) return { kind: "invalid", problems };
    const sku = normalized.sku;
    const level = this.levels.get(sku) ?? { quantity: 0, version: 0 };
    const next = kind === "set" ? input.quantity : level.quantity + input.quantity;
    if (next > MAX_QUANTITY) return { kind: "invalid", problems: [{ path: "quantity", message: `resulting stock would exceed ${MAX_QUANTITY}` }] };
    const delta = next - level.quantity;
    level.quantity = next;
    level.version += 1;
    this.levels.set(sku, level);
    const change: SkuChange = { sku, delta, quantity: level.quantity, version: level.version };
    const atMs = this.clock.now();
    const auditSeq = this.appendAudit({ atMs, kind, ...(input.reason === undefined ? {} : { reason: input.reason }), changes: [change] });
    this.appendOutbox({ atMs, changes: [change] });
    return { kind: "changed", change, auditSeq };
  }

  level(sku: Sku): StockLevel | undefined {
    const level = this.levels.get(sku);
    return level ? { quantity: level.quantity, version: level.version } : undefined;
  }

  snapshot(skus?: readonly Sku[]): Map<Sku, StockLevel> {
    const result = new Map<Sku, StockLevel>();
    const keys = skus ?? [...this.levels.keys()].sort();
    for (const sku of keys) {
      // A name that is not a string cannot be a SKU: absent, like any unknown SKU (as in the Redis store).
      if (typeof sku !== "string") continue;
      const level = this.level(sku.normalize("NFC"));
      if (level) result.set(sku, level);
    }
    return result;
  }

  readAudit(options?: { afterSeq?: number; limit?: number }): AuditRecord[] {
    const after = readAfterSeq(options?.afterSeq);
    const limit = options?.limit === undefined ? Infinity : readLimit(options.limit);
    const start = this.audit.findIndex((record) => record.seq > after);
    if (start < 0 || limit === 0) return [];
    return this.audit.slice(start, start + limit);
  }

  readOutbox(limit: number): OutboxEntry[] {
    const wanted = readLimit(limit);
    const entries: OutboxEntry[] = [];
    for (const entry of this.outbox.values()) {
      if (entries.length >= wanted) break;
      entries.push(entry);
    }
    return entries;
  }

  ackOutbox(ids: readonly string[]): void {
    for (const id of ids) this.outbox.delete(id);
  }

  get outboxSize(): number {
    return this.outbox.size;
  }

  readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }): PendingCancellation[] {
    const after = readAfterSeq(options.afterSeq);
    const limit = readLimit(options.limit);
    const entries: PendingCancellation[] = [];
    for (const entry of this.pendingCancellations.values()) {
      if (entries.length >= limit) break;
      if (entry.seq > after) entries.push(entry);
    }
    return entries;
  }

  /** How many of `seqs` were pending (and are removed now). */
  removePendingCancellations(seqs: readonly number[]): number {
    let removed = 0;
    for (const seq of seqs) if (this.pendingCancellations.delete(seq)) removed += 1;
    return removed;
  }

  /** See `StockStore.settleOrderGroup`. */
  settleOrderGroup(input: OrderGroupInput): OrderGroupSettlement {
    const problem = orderGroupInputProblem(input);
    if (problem) throw new TypeError(`settleOrderGroup: ${problem}`);
    let group = this.groups.get(input.group);
    if (!group) {
      group = { cancelled: false, lines: new Map() };
      this.groups.set(input.group, group);
    }
    if (input.line !== undefined && !group.lines.has(input.line)) group.lines.set(input.line, false);
    if (input.cancel === true) group.cancelled = true;
    const released: ReleasedOrder[] = [];
    if (!group.cancelled) return { cancelled: false, released };
    for (const [orderId, given] of group.lines) {
      if (given) continue;
      group.lines.set(orderId, true);
      const record = this.applied.get(orderId);
      if (record?.outcome.kind !== "applied") continue; // insufficient (nothing taken) or forgotten
      const changes: SkuChange[] = record.outcome.changes.map((taken) => {
        const level = this.levels.get(taken.sku) ?? { quantity: 0, version: 0 };
        const quantity = Math.min(MAX_QUANTITY, level.quantity - taken.delta);
        const delta = quantity - level.quantity;
        level.quantity = quantity;
        level.version += 1;
        this.levels.set(taken.sku, level);
        return { sku: taken.sku, delta, quantity, version: level.version };
      });
      const atMs = this.clock.now();
      const auditSeq = this.appendAudit({ atMs, kind: "restock", reason: releaseReason(orderId, input.group), changes });
      this.appendOutbox({ atMs, changes });
      released.push({ orderId, auditSeq, changes });
    }
    return { cancelled: true, released };
  }

  private appendAudit(record: Omit<AuditRecord, "seq">): number {
    this.auditSeq += 1;
    if (this.keepAudit) this.audit.push({ seq: this.auditSeq, ...record });
    return this.auditSeq;
  }

  private appendOutbox(entry: Omit<OutboxEntry, "id">): void {
    this.outboxSeq += 1;
    const id = String(this.outboxSeq);
    this.outbox.set(id, { id, ...entry });
  }
}

/** The reason of the `restock` audit record that gives a cancelled order's line back (every store writes this text). */
export function releaseReason(orderId: string, group: string): string {
  return `order ${orderId} given back: its marketplace cancelled the whole order ${group}`;
}

/** The in-memory `StockStore`: the reference model behind the async port. */
export class InMemoryStockStore implements StockStore {
  readonly model: StockModel;

  constructor(options: StockModelOptions) {
    this.model = new StockModel(options);
  }

  applyOrder(order: OrderInput): Promise<ApplyResult> {
    return Promise.resolve(this.model.applyOrder(order));
  }

  applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]> {
    return Promise.resolve(orders.map((order) => this.model.applyOrder(order)));
  }

  restock(input: StockMutationInput): Promise<StockChangeResult> {
    return Promise.resolve(this.model.restock(input));
  }

  setQuantity(input: StockMutationInput): Promise<StockChangeResult> {
    return Promise.resolve(this.model.setQuantity(input));
  }

  snapshot(skus?: readonly Sku[]): Promise<Map<Sku, StockLevel>> {
    return Promise.resolve(this.model.snapshot(skus));
  }

  readAudit(options?: { afterSeq?: number; limit?: number }): Promise<AuditRecord[]> {
    return Promise.resolve(this.model.readAudit(options));
  }

  readOutbox(limit: number): Promise<OutboxEntry[]> {
    return Promise.resolve(this.model.readOutbox(limit));
  }

  ackOutbox(ids: readonly string[]): Promise<void> {
    this.model.ackOutbox(ids);
    return Promise.resolve();
  }

  readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }): Promise<PendingCancellation[]> {
    return Promise.resolve(this.model.readPendingCancellations(options));
  }

  removePendingCancellations(seqs: readonly number[]): Promise<number> {
    return Promise.resolve(this.model.removePendingCancellations(seqs));
  }

  settleOrderGroup(input: OrderGroupInput): Promise<OrderGroupSettlement> {
    try {
      return Promise.resolve(this.model.settleOrderGroup(input));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
