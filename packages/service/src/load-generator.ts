// The open-model load generator: the scenario's arrival plan (`planArrivals`, the same plan the
// simulator replays for the same seed), time-compressed onto the wall clock, sent at each arrival's
// *scheduled* time to the marketplaces' buyer storefronts. Buyers check out; shopping agents read the
// shown stock first and leave on too little. Latency is measured from the intended send time.
// Easy to get wrong (coordinated omission): an arrival that cannot be sent on time — the loop woke up
// late, or too many requests are already in flight — is counted in `droppedArrivals` and skipped, never
// sent late as if nothing happened; and the loop never waits for a reply before sending the next one.

import type { Arrival } from "@synclag/workload";
import { Histogram } from "@synclag/metrics";

export interface LoadGeneratorOptions {
  /** Arrivals in time order; `atMs` is the offset from the scenario start in scenario time. */
  readonly arrivals: Iterable<Arrival>;
  /** Real ms per scenario ms (scenario duration compressed into the run's duration: duration / scenario duration). */
  readonly timeScale: number;
  /** Storefront base URL of each channel (`<url>/_synclag/storefront/...`). */
  readonly storefronts: ReadonlyMap<string, string>;
  /** Wall-clock instant of scenario time 0, ms since the epoch. Default: when `run()` is called. */
  readonly startAtMs?: number;
  /** An arrival whose send is later than this (ms) is dropped. Default 250. */
  readonly lateToleranceMs?: number;
  /** Requests in flight at once; an arrival finding them all busy is dropped. Default 512. */
  readonly maxInFlight?: number;
  /** Per-request budget, ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** Called for every arrival's outcome (the runner's accounting). */
  readonly onOutcome?: (outcome: ArrivalOutcome) => void;
}

export type ArrivalOutcome =
  | { readonly kind: "accepted"; readonly arrival: Arrival; readonly intendedAtMs: number; readonly orderId: string; readonly createdAtMs: number }
  /** The storefront showed too little (409 at checkout, or an agent read too little and left). */
  | { readonly kind: "turned-away"; readonly arrival: Arrival; readonly intendedAtMs: number; readonly shown: number }
  | { readonly kind: "dropped"; readonly arrival: Arrival; readonly intendedAtMs: number; readonly reason: "late" | "in-flight-limit" }
  /** The arrival failed: no answer, or a non-2xx from the stock lookup or checkout (`status`). Never counted as turned away. */
  | { readonly kind: "error"; readonly arrival: Arrival; readonly intendedAtMs: number; readonly message: string; readonly status?: number };

export interface LoadReport {
  readonly planned: number;
  readonly sent: number;
  readonly accepted: number;
  readonly turnedAway: number;
  readonly droppedArrivals: number;
  readonly errors: number;
  /** Storefront latency from the intended send time (ms). */
  readonly latencyMs: Histogram;
  /** Worst lateness of a sent arrival (ms). */
  readonly maxLatenessMs: number;
}

export class LoadGenerator {
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: LoadGeneratorOptions) {
    if (!(options.timeScale > 0)) throw new RangeError(`timeScale must be positive, got ${options.timeScale}`);
  }

  /** Stops sending (arrivals not yet due are not counted); in-flight requests finish. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<LoadReport> {
    const tolerance = this.options.lateToleranceMs ?? 250;
    const maxInFlight = this.options.maxInFlight ?? 512;
    const start = this.options.startAtMs ?? Date.now();
    const latency = new Histogram();
    const counts = { planned: 0, sent: 0, accepted: 0, turnedAway: 0, dropped: 0, errors: 0, maxLateness: 0 };
    const inFlight = new Set<Promise<void>>();
    const report = (outcome: ArrivalOutcome) => this.options.onOutcome?.(outcome);

    for (const arrival of this.options.arrivals) {
      const intendedAtMs = start + arrival.atMs * this.options.timeScale;
      const waitMs = intendedAtMs - Date.now();
      if (waitMs > 1) await this.sleep(waitMs);
      if (this.stopped) break;
      counts.planned += 1;
      const lateness = Date.now() - intendedAtMs;
      if (lateness > tolerance || inFlight.size >= maxInFlight) {
        counts.dropped += 1;
        report({ kind: "dropped", arrival, intendedAtMs, reason: lateness > tolerance ? "late" : "in-flight-limit" });
        continue;
      }
      counts.sent += 1;
      if (lateness > counts.maxLateness) counts.maxLateness = lateness;
      const request = this.send(arrival, intendedAtMs).then((outcome) => {
        latency.record(Math.max(0, Math.round(Date.now() - intendedAtMs)));
        if (outcome.kind === "accepted") counts.accepted += 1;
        else if (outcome.kind === "turned-away") counts.turnedAway += 1;
        else if (outcome.kind === "error") counts.errors += 1;
        report(outcome);
      });
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
    return { planned: counts.planned, sent: counts.sent, accepted: counts.accepted, turnedAway: counts.turnedAway, droppedArrivals: counts.dropped, errors: counts.errors, latencyMs: latency, maxLatenessMs: counts.maxLateness };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async send(arrival: Arrival, intendedAtMs: number): Promise<ArrivalOutcome> {
    const base = this.options.storefronts.get(arrival.channel);
    if (base === undefined) return { kind: "error", arrival, intendedAtMs, message: `no storefront for channel ${arrival.channel}` };
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000);
    try {
      if (arrival.agent) {
        // A failed lookup (404 for an unlisted SKU, 5xx, 429, no stock figure) is a failed arrival, not a
        // shopper who saw too little: counted as turned away it would become a lost sale that never was.
        const look = await fetch(`${base}/_synclag/storefront/items/${encodeURIComponent(arrival.sku)}`, { signal });
        if (!look.ok) {
          await look.body?.cancel();
          return { kind: "error", arrival, intendedAtMs, message: `stock lookup answered ${look.status}`, status: look.status };
        }
        const seen = (await look.json()) as { available?: unknown };
        if (typeof seen.available !== "number" || !Number.isFinite(seen.available)) return { kind: "error", arrival, intendedAtMs, message: `stock lookup answered ${look.status} without a stock figure`, status: look.status };
        const shown = seen.available;
        if (shown < arrival.quantity) return { kind: "turned-away", arrival, intendedAtMs, shown };
      }
      const response = await fetch(`${base}/_synclag/storefront/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: arrival.sku, quantity: arrival.quantity }), signal });
      const body = (await response.json()) as { orderId?: string; createdAtMs?: number; shown?: number };
      if (response.status === 201 && typeof body.orderId === "string") return { kind: "accepted", arrival, intendedAtMs, orderId: body.orderId, createdAtMs: body.createdAtMs ?? Date.now() };
      if (response.status === 409) return { kind: "turned-away", arrival, intendedAtMs, shown: body.shown ?? 0 };
      return { kind: "error", arrival, intendedAtMs, message: `checkout answered ${response.status}`, status: response.status };
    } catch (error) {
      return { kind: "error", arrival, intendedAtMs, message: (error as Error).message };
    }
  }
}
