// Bundles: a listing that sells several component SKUs at once ("gift set = 2 × mug + 1 × tea").
// A bundle holds no stock of its own: an order line for it takes its components, all or none, in the
// same atomic step as the order's other lines, and its availability is the min over its components
// (`bundleAvailability`). `BundleStockStore` wraps any StockStore so the rest of the engine needs no
// bundle logic: orders are expanded before the store sees them, every change of a component also
// reports each bundle built on it, and a snapshot of one SKU brings its whole family (a bundle's
// components, a component's bundles) — so whatever pushes what it read pushes the bundles too.
//
// Easy to get wrong:
// - a bundle's version must only ever grow when a component changes, and grow whenever its quantity
//   might: it is the sum of its components' versions (each only grows), so "never back to an older
//   version" holds for bundles as for SKUs;
// - `delta` of a change is what the *source channel* took off its own listing of that SKU (the
//   propagator skips a source its own sale made exact). A component sold inside a bundle was not
//   taken off the source's listing of the component, so its delta is only the units ordered directly;
// - an order's identity (redelivery = duplicate, same id + other lines = conflict) is the order as placed,
//   not its components: "1 × GIFT-SET" and "2 × MUG + 1 × TEA" are different orders, so the expanded
//   order carries the placed order's fingerprint (`OrderInput.fingerprint`);
// - SKUs are compared in NFC, as every store compares them: definitions are normalised once, lookups
//   by a name from outside try it as given and in NFC.

import { ForwardingStockStore } from "./forwarding-stock-store.js";
import { MAX_LINES, MAX_QUANTITY } from "./limits.js";
import { normalizeOrder, normalizeSku } from "./order.js";
import { bundleAvailability, type BundleComponent } from "./policy.js";
import type { OrderInput, StockMutationInput, StockStore } from "./ports.js";
import type { AppliedOutcome, ApplyResult, Problem, Sku, SkuChange, StockChangeResult, StockLevel } from "./types.js";

export interface BundleDefinition {
  /** The bundle's own SKU, as the channels list it. */
  readonly sku: Sku;
  /** What one bundle takes: each component SKU and its units per bundle (integer ≥ 1). */
  readonly components: readonly BundleComponent[];
}

/**
 * Every problem with a set of bundle definitions, with its path (`bundles.2.components.0.quantity`): SKUs
 * an order can carry (`normalizeSku`; compared in NFC, so one bundle in two spellings is defined twice),
 * units per bundle from 1 to MAX_QUANTITY.
 */
export function checkBundles(bundles: readonly BundleDefinition[], path = "bundles"): Problem[] {
  const problems: Problem[] = [];
  const skuAt = (value: unknown, at: string): Sku | undefined => {
    if (typeof value !== "string" || value.length === 0) {
      problems.push({ path: at, message: "must be a non-empty SKU" });
      return undefined;
    }
    const sku = normalizeSku(value);
    if ("problem" in sku) problems.push({ path: at, message: sku.problem });
    return "sku" in sku ? sku.sku : undefined;
  };
  const bundleSkus = new Set<Sku>();
  bundles.forEach((bundle, index) => {
    const sku = skuAt(bundle.sku, `${path}.${index}.sku`);
    if (sku !== undefined && bundleSkus.has(sku)) problems.push({ path: `${path}.${index}.sku`, message: `bundle ${JSON.stringify(sku)} is defined twice` });
    if (sku !== undefined) bundleSkus.add(sku);
    if (!Array.isArray(bundle.components) || bundle.components.length === 0) problems.push({ path: `${path}.${index}.components`, message: "a bundle needs at least one component" });
  });
  bundles.forEach((bundle, index) => {
    const perBundle = new Map<Sku, number>();
    (Array.isArray(bundle.components) ? bundle.components : []).forEach((component, c) => {
      const at = `${path}.${index}.components.${c}`;
      const sku = skuAt(component.sku, `${at}.sku`);
      // A bundle of bundles would need its own stock rules (and a bundle of itself never sells): refused.
      if (sku !== undefined && bundleSkus.has(sku)) problems.push({ path: `${at}.sku`, message: `${JSON.stringify(sku)} is a bundle; a component must be a stocked SKU` });
      const units = component.quantity;
      if (!Number.isInteger(units) || units < 1) problems.push({ path: `${at}.quantity`, message: `units per bundle must be an integer ≥ 1, got ${JSON.stringify(units)}` });
      // More than any SKU can hold: the bundle could never sell.
      else if (units > MAX_QUANTITY) problems.push({ path: `${at}.quantity`, message: `units per bundle must be at most ${MAX_QUANTITY}, got ${units}` });
      else if (sku !== undefined) {
        const total = (perBundle.get(sku) ?? 0) + units;
        if (total > MAX_QUANTITY && (perBundle.get(sku) ?? 0) <= MAX_QUANTITY) problems.push({ path: `${at}.quantity`, message: `${JSON.stringify(sku)} is named more than once: ${total} units per bundle in all, more than ${MAX_QUANTITY}` });
        perBundle.set(sku, total);
      }
    });
  });
  return problems;
}

/** A StockStore that sells bundles out of their components (see the file comment). */
export class BundleStockStore extends ForwardingStockStore {
  /** By the bundle's SKU in NFC; the definitions' SKUs are all NFC. */
  private readonly bundles = new Map<Sku, BundleDefinition>();
  /** Component SKU (NFC) → the bundles that take it. */
  private readonly bundlesOf = new Map<Sku, BundleDefinition[]>();

  constructor(inner: StockStore, bundles: readonly BundleDefinition[]) {
    super(inner);
    const problems = checkBundles(bundles);
    if (problems.length > 0) throw new RangeError(`invalid bundles: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
    for (const defined of bundles) {
      const bundle: BundleDefinition = { sku: defined.sku.normalize("NFC"), components: defined.components.map((c) => ({ sku: c.sku.normalize("NFC"), quantity: c.quantity })) };
      this.bundles.set(bundle.sku, bundle);
      for (const sku of new Set(bundle.components.map((c) => c.sku))) {
        const list = this.bundlesOf.get(sku) ?? [];
        list.push(bundle);
        this.bundlesOf.set(sku, list);
      }
    }
  }

  /** The bundles' SKUs (NFC), in definition order. */
  get bundleSkus(): Sku[] {
    return [...this.bundles.keys()];
  }

  /** Whether `sku` (in any Unicode spelling) is a bundle. */
  isBundle(sku: Sku): boolean {
    return this.bundleNamed(sku) !== undefined;
  }

  // One order goes to the inner store's applyOrder (a group-commit store gathers those into its calls).
  override async applyOrder(order: OrderInput): Promise<ApplyResult> {
    const expanded = this.expand(order);
    if ("invalid" in expanded) return expanded.invalid;
    const [result] = await this.withBundles([expanded], [await this.inner.applyOrder(expanded.order)]);
    return result as ApplyResult;
  }

  override async applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]> {
    const expanded = orders.map((order) => this.expand(order));
    const valid = expanded.filter((e): e is Expanded => !("invalid" in e));
    const applied = valid.length > 0 ? await this.inner.applyOrders(valid.map((e) => e.order)) : [];
    let next = 0;
    return this.withBundles(
      expanded,
      expanded.map((e) => ("invalid" in e ? e.invalid : (applied[next++] as ApplyResult))),
    );
  }

  /**
   * The results as the orders were placed: problems at the placed order's lines, changes with their deltas as
   * the source saw them and every touched bundle's level added — a redelivery's `original` the same way.
   */
  private async withBundles(expanded: ReadonlyArray<Expanded | { readonly invalid: ApplyResult }>, results: ApplyResult[]): Promise<ApplyResult[]> {
    results = results.map((result, index) => {
      const entry = expanded[index] as Expanded | { readonly invalid: ApplyResult };
      return result.kind === "invalid" && "placed" in entry && entry.placed !== undefined ? { ...result, problems: placedProblems(result.problems, entry.placed) } : result;
    });
    // Components of the touched bundles that the orders did not change: one read for the whole batch.
    const changedAfter = new Map<Sku, SkuChange>();
    const touched = new Set<BundleDefinition>();
    for (const result of results) {
      if (result.kind === "applied") for (const change of result.changes) changedAfter.set(change.sku, change);
      for (const change of appliedOutcome(result)?.changes ?? []) for (const bundle of this.bundlesOf.get(change.sku) ?? []) touched.add(bundle);
    }
    if (touched.size === 0) return results;
    const missing = new Set<Sku>();
    for (const bundle of touched) for (const c of bundle.components) if (!changedAfter.has(c.sku)) missing.add(c.sku);
    const read = missing.size > 0 ? await this.inner.snapshot([...missing]) : new Map<Sku, StockLevel>();
    return results.map((result, index) => {
      const outcome = appliedOutcome(result);
      if (outcome === undefined) return result;
      const direct = (expanded[index] as Expanded).direct;
      const levels = new Map<Sku, StockLevel>(read);
      // This order's own changes are the levels right after it (later orders of the batch may have moved them
      // since). A redelivery's other components: their levels now (the first delivery's are not kept).
      for (const [sku, change] of changedAfter) levels.set(sku, change);
      for (const change of outcome.changes) levels.set(change.sku, change);
      const changed = new Set(outcome.changes.map((change) => change.sku));
      const changes: SkuChange[] = outcome.changes.map((change) => ({ ...change, delta: 0 - (direct.get(change.sku) ?? 0) }));
      const seen = new Set<BundleDefinition>();
      for (const change of outcome.changes) {
        for (const bundle of this.bundlesOf.get(change.sku) ?? []) {
          if (seen.has(bundle)) continue;
          seen.add(bundle);
          const level = this.level(bundle, levels);
          // Each component the order changed moved one version: the bundle moved by as many.
          let moved = 0;
          for (const sku of new Set(bundle.components.map((c) => c.sku))) if (changed.has(sku)) moved++;
          changes.push({ sku: bundle.sku, delta: 0 - (direct.get(bundle.sku) ?? 0), ...level, previousVersion: level.version - moved });
        }
      }
      const rewritten: AppliedOutcome = { ...outcome, changes };
      return result.kind === "applied" ? rewritten : { ...result, original: rewritten };
    });
  }

  override restock(input: StockMutationInput): Promise<StockChangeResult> {
    const bundle = this.bundleNamed(input.sku);
    return bundle ? Promise.resolve(notStocked(bundle.sku)) : this.inner.restock(input);
  }

  override setQuantity(input: StockMutationInput): Promise<StockChangeResult> {
    const bundle = this.bundleNamed(input.sku);
    return bundle ? Promise.resolve(notStocked(bundle.sku)) : this.inner.setQuantity(input);
  }

  /**
   * Levels of `skus` and of their families (a bundle's components and their bundles, every bundle of a component); all
   * SKUs and every bundle when `skus` is omitted. A bundle is absent while none of its components exists, and listed
   * under its SKU in NFC whatever spelling asked for it.
   */
  override async snapshot(skus?: readonly Sku[]): Promise<Map<Sku, StockLevel>> {
    let wanted: Set<BundleDefinition>;
    let levels: Map<Sku, StockLevel>;
    if (skus === undefined) {
      levels = await this.inner.snapshot();
      wanted = new Set(this.bundles.values());
    } else {
      wanted = new Set();
      const stocked = new Set<Sku>();
      for (const sku of skus) {
        const bundle = this.bundleNamed(sku);
        if (bundle) {
          // Its components' other bundles too: a bundle order moved them as well (found by re-review).
          wanted.add(bundle);
          for (const c of bundle.components) for (const b of this.bundlesOf.get(c.sku) ?? []) wanted.add(b);
        } else {
          stocked.add(sku);
          if (typeof sku === "string") for (const b of this.bundlesOf.get(sku) ?? this.bundlesOf.get(sku.normalize("NFC")) ?? []) wanted.add(b);
        }
      }
      for (const bundle of wanted) for (const c of bundle.components) stocked.add(c.sku);
      levels = await this.inner.snapshot([...stocked]);
    }
    const result = new Map(levels);
    for (const bundle of wanted) if (bundle.components.some((c) => levels.has(c.sku))) result.set(bundle.sku, this.level(bundle, levels));
    return result;
  }

  /** The bundle named `sku` as given or in NFC; undefined for anything else (not a string included). */
  private bundleNamed(sku: unknown): BundleDefinition | undefined {
    if (typeof sku !== "string") return undefined;
    return this.bundles.get(sku) ?? this.bundles.get(sku.normalize("NFC"));
  }

  /** A bundle's level from its components' levels (a missing component counts as 0 at version 0). */
  private level(bundle: BundleDefinition, levels: ReadonlyMap<Sku, StockLevel>): StockLevel {
    let version = 0;
    for (const sku of new Set(bundle.components.map((c) => c.sku))) version += levels.get(sku)?.version ?? 0;
    return { quantity: bundleAvailability(bundle.components, levels), version };
  }

  /**
   * The order with every bundle line replaced by its components (merged per SKU), carrying the placed order's
   * fingerprint, and what it named directly. An order with a bundle line is validated here as placed (every
   * problem at the path of its own lines); an order without one goes to the inner store as it is.
   */
  private expand(order: OrderInput): Expanded | { readonly invalid: ApplyResult } {
    const lines = Array.isArray(order.lines) ? order.lines : [];
    if (!lines.some((line) => this.bundleNamed(line?.sku) !== undefined)) {
      const direct = new Map<Sku, number>();
      for (const line of lines) if (typeof line?.sku === "string" && typeof line.quantity === "number") direct.set(line.sku.normalize("NFC"), (direct.get(line.sku.normalize("NFC")) ?? 0) + line.quantity);
      return { order, direct };
    }
    const invalid = (problems: Problem[]) => ({ invalid: typeof order.orderId === "string" ? { kind: "invalid" as const, orderId: order.orderId, problems } : { kind: "invalid" as const, problems } });
    const normal = normalizeOrder(order);
    if (!normal.ok) return invalid(normal.problems);
    const placed = normal.order;
    // Component SKU → the units the order takes, and the placed lines (by index in the normalised order) it comes from.
    const units = new Map<Sku, number>();
    const origins = new Map<Sku, Origin[]>();
    placed.lines.forEach((line, index) => {
      const bundle = this.bundles.get(line.sku);
      const parts = bundle ? bundle.components.map((c) => ({ sku: c.sku, quantity: c.quantity * line.quantity })) : [line];
      for (const part of parts) {
        units.set(part.sku, (units.get(part.sku) ?? 0) + part.quantity);
        const from = origins.get(part.sku) ?? [];
        if (!from.some((o) => o.index === index)) from.push(bundle ? { index, bundle: bundle.sku } : { index });
        origins.set(part.sku, from);
      }
    });
    const problems: Problem[] = [];
    for (const [sku, total] of units) {
      if (total > MAX_QUANTITY) problems.push({ path: "lines", message: `total quantity of ${JSON.stringify(sku)} exceeds ${MAX_QUANTITY}${bundlesNote(origins.get(sku) ?? [])}` });
    }
    if (units.size > MAX_LINES) problems.push({ path: "lines", message: `must take at most ${MAX_LINES} SKUs once its bundles are replaced by their components, takes ${units.size}` });
    if (problems.length > 0) return invalid(problems);
    // Sorted as the inner store sorts them, so its problems' line indexes can be traced back to the placed lines.
    const expandedLines = [...units].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
    return {
      order: { orderId: placed.orderId, sourceChannel: placed.sourceChannel, lines: expandedLines, fingerprint: placed.fingerprint },
      direct: new Map(placed.lines.map((line) => [line.sku, line.quantity])),
      placed: { skus: expandedLines.map((line) => line.sku), origins },
    };
  }
}

interface Expanded {
  readonly order: OrderInput;
  /** Units per SKU (NFC) the order named itself, bundles included. */
  readonly direct: ReadonlyMap<Sku, number>;
  /** An order with bundle lines: the expanded lines' SKUs in order, and the placed lines each comes from. */
  readonly placed?: { readonly skus: readonly Sku[]; readonly origins: ReadonlyMap<Sku, readonly Origin[]> };
}

/** A placed line (index in the normalised order) an expanded line takes units from, and the bundle when through one. */
interface Origin {
  readonly index: number;
  readonly bundle?: Sku;
}

function appliedOutcome(result: ApplyResult): AppliedOutcome | undefined {
  if (result.kind === "applied") return result;
  return result.kind === "duplicate" && result.original.kind === "applied" ? result.original : undefined;
}

/** ` (component of bundle "A")` / ` (component of bundles "A", "B")`, or nothing when no bundle takes it. */
function bundlesNote(origins: readonly Origin[]): string {
  const bundles = origins.flatMap((o) => (o.bundle === undefined ? [] : [JSON.stringify(o.bundle)]));
  return bundles.length === 0 ? "" : ` (component of bundle${bundles.length > 1 ? "s" : ""} ${bundles.join(", ")})`;
}

/** The inner store's problems with the expanded order's `lines.N…` paths moved to the placed lines they come from. */
function placedProblems(problems: readonly Problem[], placed: NonNullable<Expanded["placed"]>): Problem[] {
  return problems.flatMap((problem) => {
    const match = /^lines\.(\d+)(\..*)?$/.exec(problem.path);
    const sku = match ? placed.skus[Number(match[1])] : undefined;
    const origins = sku === undefined ? undefined : placed.origins.get(sku);
    if (!match || !origins) return [problem];
    return origins.map((origin) => ({ path: `lines.${origin.index}${match[2] ?? ""}`, message: `${problem.message}${bundlesNote([origin])}` }));
  });
}

function notStocked(sku: Sku): StockChangeResult {
  return { kind: "invalid", problems: [{ path: "sku", message: `${JSON.stringify(sku)} is a bundle: it holds no stock of its own; restock or set its components` }] };
}
