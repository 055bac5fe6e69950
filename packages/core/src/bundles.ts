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
//   taken off the source's listing of the component, so its delta is only the units ordered directly.

import { ForwardingStockStore } from "./forwarding-stock-store.js";
import { checkQuantity, normalizeSku } from "./order.js";
import { bundleAvailability, type BundleComponent } from "./policy.js";
import type { OrderInput, StockMutationInput, StockStore } from "./ports.js";
import type { ApplyResult, Problem, Sku, SkuChange, StockChangeResult, StockLevel } from "./types.js";

export interface BundleDefinition {
  /** The bundle's own SKU, as the channels list it. */
  readonly sku: Sku;
  /** What one bundle takes: each component SKU and its units per bundle (integer ≥ 1). */
  readonly components: readonly BundleComponent[];
}

/** Every problem with a set of bundle definitions, with its path (`bundles.2.components.0.quantity`). */
export function checkBundles(bundles: readonly BundleDefinition[], path = "bundles"): Problem[] {
  const problems: Problem[] = [];
  const bundleSkus = new Set<Sku>();
  bundles.forEach((bundle, index) => {
    if (typeof bundle.sku !== "string" || bundle.sku.length === 0) problems.push({ path: `${path}.${index}.sku`, message: "must be a non-empty SKU" });
    else if (bundleSkus.has(bundle.sku)) problems.push({ path: `${path}.${index}.sku`, message: `bundle ${JSON.stringify(bundle.sku)} is defined twice` });
    bundleSkus.add(bundle.sku);
    if (!Array.isArray(bundle.components) || bundle.components.length === 0) problems.push({ path: `${path}.${index}.components`, message: "a bundle needs at least one component" });
  });
  bundles.forEach((bundle, index) => {
    (Array.isArray(bundle.components) ? bundle.components : []).forEach((component, c) => {
      const at = `${path}.${index}.components.${c}`;
      if (typeof component.sku !== "string" || component.sku.length === 0) problems.push({ path: `${at}.sku`, message: "must be a non-empty SKU" });
      // A bundle of bundles would need its own stock rules (and a bundle of itself never sells): refused.
      else if (bundleSkus.has(component.sku)) problems.push({ path: `${at}.sku`, message: `${JSON.stringify(component.sku)} is a bundle; a component must be a stocked SKU` });
      if (!Number.isInteger(component.quantity) || component.quantity < 1) problems.push({ path: `${at}.quantity`, message: `units per bundle must be an integer ≥ 1, got ${JSON.stringify(component.quantity)}` });
    });
  });
  return problems;
}

/** A StockStore that sells bundles out of their components (see the file comment). */
export class BundleStockStore extends ForwardingStockStore {
  private readonly bundles = new Map<Sku, BundleDefinition>();
  /** Component SKU → the bundles that take it. */
  private readonly bundlesOf = new Map<Sku, BundleDefinition[]>();

  constructor(inner: StockStore, bundles: readonly BundleDefinition[]) {
    super(inner);
    const problems = checkBundles(bundles);
    if (problems.length > 0) throw new RangeError(`invalid bundles: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
    for (const bundle of bundles) {
      this.bundles.set(bundle.sku, bundle);
      for (const sku of new Set(bundle.components.map((c) => c.sku))) {
        const list = this.bundlesOf.get(sku) ?? [];
        list.push(bundle);
        this.bundlesOf.set(sku, list);
      }
    }
  }

  /** The bundles' SKUs, in definition order. */
  get bundleSkus(): Sku[] {
    return [...this.bundles.keys()];
  }

  isBundle(sku: Sku): boolean {
    return this.bundles.has(sku);
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

  /** The results with their changes' deltas as the source saw them and every touched bundle's level added. */
  private async withBundles(expanded: ReadonlyArray<Expanded | { readonly invalid: ApplyResult }>, results: ApplyResult[]): Promise<ApplyResult[]> {
    // Components of the touched bundles that the orders did not change: one read for the whole batch.
    const changedAfter = new Map<Sku, SkuChange>();
    const touched = new Set<BundleDefinition>();
    for (const result of results) {
      if (result.kind !== "applied") continue;
      for (const change of result.changes) {
        changedAfter.set(change.sku, change);
        for (const bundle of this.bundlesOf.get(change.sku) ?? []) touched.add(bundle);
      }
    }
    if (touched.size === 0) return results;
    const missing = new Set<Sku>();
    for (const bundle of touched) for (const c of bundle.components) if (!changedAfter.has(c.sku)) missing.add(c.sku);
    const read = missing.size > 0 ? await this.inner.snapshot([...missing]) : new Map<Sku, StockLevel>();
    return results.map((result, index) => {
      if (result.kind !== "applied") return result;
      const direct = (expanded[index] as Expanded).direct;
      const levels = new Map<Sku, StockLevel>(read);
      // This order's own changes are the levels right after it (later orders of the batch may have moved them since).
      for (const [sku, change] of changedAfter) levels.set(sku, change);
      for (const change of result.changes) levels.set(change.sku, change);
      const changes: SkuChange[] = result.changes.map((change) => ({ ...change, delta: 0 - (direct.get(change.sku) ?? 0) }));
      const seen = new Set<BundleDefinition>();
      for (const change of result.changes) {
        for (const bundle of this.bundlesOf.get(change.sku) ?? []) {
          if (seen.has(bundle)) continue;
          seen.add(bundle);
          changes.push({ sku: bundle.sku, delta: 0 - (direct.get(bundle.sku) ?? 0), ...this.level(bundle, levels) });
        }
      }
      return { ...result, changes };
    });
  }

  override restock(input: StockMutationInput): Promise<StockChangeResult> {
    return this.bundles.has(input.sku) ? Promise.resolve(notStocked(input.sku)) : this.inner.restock(input);
  }

  override setQuantity(input: StockMutationInput): Promise<StockChangeResult> {
    return this.bundles.has(input.sku) ? Promise.resolve(notStocked(input.sku)) : this.inner.setQuantity(input);
  }

  /**
   * Levels of `skus` and of their families (a bundle's components and their bundles, every bundle of a component); all
   * SKUs and every bundle when `skus` is omitted. A bundle is absent while none of its components exists.
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
        const bundle = this.bundles.get(sku);
        if (bundle) {
          // Its components' other bundles too: a bundle order moved them as well (found by re-review).
          wanted.add(bundle);
          for (const c of bundle.components) for (const b of this.bundlesOf.get(c.sku) ?? []) wanted.add(b);
        } else {
          stocked.add(sku);
          for (const b of this.bundlesOf.get(sku) ?? []) wanted.add(b);
        }
      }
      for (const bundle of wanted) for (const c of bundle.components) stocked.add(c.sku);
      levels = await this.inner.snapshot([...stocked]);
    }
    const result = new Map(levels);
    for (const bundle of wanted) if (bundle.components.some((c) => levels.has(c.sku))) result.set(bundle.sku, this.level(bundle, levels));
    return result;
  }

  /** A bundle's level from its components' levels (a missing component counts as 0 at version 0). */
  private level(bundle: BundleDefinition, levels: ReadonlyMap<Sku, StockLevel>): StockLevel {
    let version = 0;
    for (const sku of new Set(bundle.components.map((c) => c.sku))) version += levels.get(sku)?.version ?? 0;
    return { quantity: bundleAvailability(bundle.components, levels), version };
  }

  /**
   * The order with every bundle line replaced by its components (merged per SKU), and what it named
   * directly; an order whose bundle line has a bad quantity is refused here, with the line's own path.
   */
  private expand(order: OrderInput): Expanded | { readonly invalid: ApplyResult } {
    const lines = Array.isArray(order.lines) ? order.lines : [];
    const bundleOf = (line: { readonly sku: Sku } | undefined) => {
      if (typeof line?.sku !== "string") return undefined;
      return this.bundles.get(line.sku) ?? this.bundles.get(line.sku.normalize("NFC"));
    };
    const direct = new Map<Sku, number>();
    for (const line of lines) if (typeof line?.sku === "string" && typeof line.quantity === "number") direct.set(line.sku.normalize("NFC"), (direct.get(line.sku.normalize("NFC")) ?? 0) + line.quantity);
    if (!lines.some((line) => bundleOf(line) !== undefined)) return { order, direct };
    const problems: Problem[] = [];
    const units = new Map<Sku, number>();
    lines.forEach((line, index) => {
      const bundle = bundleOf(line);
      const problem = checkQuantity(line?.quantity);
      if (problem) problems.push({ path: `lines.${index}.quantity`, message: problem });
      if (!bundle) {
        const sku = normalizeSku(line?.sku);
        if ("problem" in sku) problems.push({ path: `lines.${index}.sku`, message: sku.problem });
        else if (!problem) units.set(sku.sku, (units.get(sku.sku) ?? 0) + line.quantity);
      } else if (!problem) for (const c of bundle.components) units.set(c.sku, (units.get(c.sku) ?? 0) + c.quantity * line.quantity);
    });
    if (problems.length > 0) return { invalid: { kind: "invalid", orderId: order.orderId, problems } };
    return { order: { ...order, lines: [...units].map(([sku, quantity]) => ({ sku, quantity })) }, direct };
  }
}

interface Expanded {
  readonly order: OrderInput;
  readonly direct: ReadonlyMap<Sku, number>;
}

function notStocked(sku: Sku): StockChangeResult {
  return { kind: "invalid", problems: [{ path: "sku", message: `${JSON.stringify(sku)} is a bundle: it holds no stock of its own; restock or set its components` }] };
}
