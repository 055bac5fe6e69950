// The simulator's ChannelClient: the engine's calls travel to a MarketplaceModel in virtual time
// (the update lands half-way through the sampled round trip, the reply arrives at the end) and come
// back classified exactly like the HTTP clients classify real replies. Easy to get wrong: a reply
// lost after the update was applied is a *timeout* for the client — the update still happened.

import type { ChannelClient, OrderId, PushOutcome, QuantityUpdate, Sku, VirtualScheduler } from "@synclag/core";
import type { MarketplaceModel, UpdateReply } from "@synclag/marketplaces";

/** Every accepted item's outcome is this one object (outcomes are read, never changed). */
const OK: PushOutcome = Object.freeze({ ok: true });

export class SimChannelClient implements ChannelClient {
  readonly channel: string;
  readonly maxBatchSize: number;
  readonly stats = { apiCalls: 0, updateCalls: 0, readCalls: 0, cancelCalls: 0, throttled: 0, serverErrors: 0, timeouts: 0, itemsRejected: 0 };

  constructor(private readonly model: MarketplaceModel, private readonly scheduler: VirtualScheduler) {
    this.channel = model.channel;
    this.maxBatchSize = model.profile.maxBatchSize;
  }

  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    this.stats.apiCalls += 1;
    this.stats.updateCalls += 1;
    return this.roundTrip(
      (nowMs) => this.model.applyUpdates(nowMs, updates),
      (reply) => this.classify(reply, updates.length),
      () => updates.map(() => this.timeout()),
      (reply) => reply.kind === "applied" && reply.replyLost,
    );
  }

  readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    this.stats.apiCalls += 1;
    this.stats.readCalls += 1;
    return this.roundTrip(
      (nowMs) => (this.model.isDown(nowMs) ? undefined : this.model.readQuantities(nowMs, skus)),
      (result) => {
        if (result === undefined) throw new Error(`${this.channel} is unavailable`);
        return result;
      },
      () => {
        throw new Error(`${this.channel} read timed out`);
      },
    );
  }

  cancelOrder(orderId: OrderId): Promise<PushOutcome> {
    this.stats.apiCalls += 1;
    this.stats.cancelCalls += 1;
    return this.roundTrip(
      (nowMs) => (this.model.isDown(nowMs) ? false : (this.model.cancelOrder(orderId), true)),
      (done): PushOutcome => (done ? { ok: true } : { ok: false, reason: "unavailable", message: `${this.channel} is unavailable` }),
      () => this.timeout(),
    );
  }

  /** Runs `atServer` half-way through a sampled round trip and resolves with `toClient` at its end. */
  private roundTrip<S, R>(atServer: (nowMs: number) => S, toClient: (server: S) => R, onTimeout: () => R, replyLost: (server: S) => boolean = () => false): Promise<R> {
    const latency = this.model.sampleLatencyMs();
    const timeoutMs = this.model.profile.clientTimeoutMs;
    return new Promise<R>((resolve, reject) => {
      const settle = (produce: () => R) => {
        try {
          resolve(produce());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      this.scheduler.setTimer(latency / 2, () => {
        const server = atServer(this.scheduler.now());
        if (replyLost(server) || latency > timeoutMs) {
          this.scheduler.setTimer(Math.max(0, timeoutMs - latency / 2), () => settle(onTimeout));
          return;
        }
        this.scheduler.setTimer(latency / 2, () => settle(() => toClient(server)));
      });
    });
  }

  private timeout(): PushOutcome {
    this.stats.timeouts += 1;
    return { ok: false, reason: "timeout", message: `${this.channel}: no reply within ${this.model.profile.clientTimeoutMs} ms` };
  }

  private classify(reply: UpdateReply, count: number): PushOutcome[] {
    switch (reply.kind) {
      case "applied":
        return reply.items.map((item) => {
          if (item.ok) return OK;
          this.stats.itemsRejected += 1;
          return { ok: false, reason: "rejected", message: `${item.code}: ${item.message}` } as const;
        });
      case "throttled": {
        this.stats.throttled += 1;
        const outcome: PushOutcome = { ok: false, reason: "rate_limited", message: `${this.channel} throttled`, retryAfterMs: Number.isFinite(reply.retryAfterMs) ? reply.retryAfterMs : 60_000 };
        return Array.from({ length: count }, () => outcome);
      }
      case "unavailable": {
        this.stats.serverErrors += 1;
        const outcome: PushOutcome = { ok: false, reason: "unavailable", message: reply.message };
        return Array.from({ length: count }, () => outcome);
      }
      case "too-large": {
        const outcome: PushOutcome = { ok: false, reason: "rejected", message: `batch of ${reply.received} exceeds ${reply.limit}` };
        return Array.from({ length: count }, () => outcome);
      }
    }
  }
}
