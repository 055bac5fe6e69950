// Test support for the engine: a channel whose replies a test scripts, metrics that record, and a
// one-channel propagator on a virtual scheduler.
import { Prng, VirtualScheduler, noopMetrics, type ChannelClient, type ChannelPolicy, type Labels, type Metrics, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import type { RetryPolicy } from "../src/backoff.js";
import { Propagator, type ChannelConfig } from "../src/propagator.js";

/** A channel whose replies the test scripts; records every call with its virtual time. */
export class ScriptedChannel implements ChannelClient {
  readonly calls: Array<{ atMs: number; updates: QuantityUpdate[] }> = [];
  /** Replies for the next calls, in order. */
  replies: Array<(updates: readonly QuantityUpdate[]) => PushOutcome[]> = [];
  /** The reply of a call with no scripted one left (default: every update ok). */
  fallback: ((updates: readonly QuantityUpdate[]) => PushOutcome[]) | undefined;
  /** What `readQuantities` answers. */
  readonly shown = new Map<string, number>();
  constructor(readonly channel: string, readonly maxBatchSize: number, private readonly scheduler: VirtualScheduler, private readonly latencyMs = 100) {}
  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    this.calls.push({ atMs: this.scheduler.now(), updates: [...updates] });
    const reply = this.replies.shift() ?? this.fallback ?? ((u) => u.map(() => ({ ok: true as const })));
    return new Promise((resolve) => this.scheduler.setTimer(this.latencyMs, () => resolve(reply(updates))));
  }
  readQuantities(skus: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(skus.filter((s) => this.shown.has(s)).map((s) => [s, this.shown.get(s) as number])));
  }
  cancelOrder(): Promise<PushOutcome> {
    return Promise.resolve({ ok: true });
  }
}

/** Calls as `atMs:SKUversion,…`, e.g. `1000:A3,B2`. */
export const callLog = (channel: ScriptedChannel): string[] => channel.calls.map((c) => `${c.atMs}:${c.updates.map((u) => `${u.sku}${u.version}`).join(",")}`);

export class RecordingMetrics implements Metrics {
  readonly increments: Array<{ name: string; labels: Labels; by: number }> = [];
  increment(name: string, labels: Labels = {}, by = 1): void {
    this.increments.push({ name, labels, by });
  }
  observe(): void {}
  gauge(): void {}
  count(name: string, labels: Labels = {}): number {
    return this.increments.filter((i) => i.name === name && Object.entries(labels).every(([k, v]) => i.labels[k] === v)).reduce((sum, i) => sum + i.by, 0);
  }
  blocked(reason: string): number {
    return this.count("blocked_ms_total", { channel: "c", reason });
  }
  blockedAll(): Record<string, number> {
    return Object.fromEntries(["rateLimit", "paused", "linger", "revisions", "slots"].map((reason) => [reason, this.blocked(reason)]));
  }
}

export interface SetupOptions {
  ratePerSecond?: number;
  burst?: number;
  maxBatchSize?: number;
  latencyMs?: number;
  batchLingerMs?: number;
  revisionsPerSkuPerDay?: number;
  maxInFlightCalls?: number;
  driftAgeingMs?: number;
  metrics?: Metrics;
  retry?: Partial<RetryPolicy>;
  policy?: ChannelPolicy;
}

/** One scripted channel "c" behind a propagator, at virtual time 0. */
export function setup(options: SetupOptions = {}) {
  const scheduler = new VirtualScheduler(0);
  const channel = new ScriptedChannel("c", options.maxBatchSize ?? 1, scheduler, options.latencyMs ?? 100);
  const config: ChannelConfig = {
    client: channel,
    rateLimit: { ratePerSecond: options.ratePerSecond ?? 1000, burst: options.burst ?? 1000 },
    maxInFlightCalls: options.maxInFlightCalls ?? 1,
    ...(options.batchLingerMs === undefined ? {} : { batchLingerMs: options.batchLingerMs }),
    ...(options.revisionsPerSkuPerDay === undefined ? {} : { revisionsPerSkuPerDay: options.revisionsPerSkuPerDay }),
    ...(options.driftAgeingMs === undefined ? {} : { driftAgeingMs: options.driftAgeingMs }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  };
  const propagator = new Propagator({
    channels: [config],
    clock: scheduler,
    scheduler,
    random: new Prng(1),
    metrics: options.metrics ?? noopMetrics,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  return { scheduler, channel, propagator, config };
}
