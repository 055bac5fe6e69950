// The in-memory OrderFeed in virtual time, with JetStream's delivery semantics: at-least-once,
// redelivery after `retry` (nak with delay), redelivery after the ack wait when an ack is lost,
// duplicates, dead-letter after max-deliver. Easy to get wrong: a lost ack means the handler *did*
// run — the redelivery must reach the handler again (that is what makes idempotency necessary).

import { decodeOrderEvent, formatProblems, sample, validateOrderEvent, type DeliveryInfo, type Distribution, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler, type OrderPublisher, type Random, type VirtualScheduler } from "@synclag/core";

export interface SimOrderFeedOptions {
  readonly scheduler: VirtualScheduler;
  readonly random: Random;
  /** Publish → first delivery. */
  readonly delay: Distribution;
  /** Share of deliveries whose ack is lost (redelivered after `ackWaitMs`). */
  readonly lostAckRate: number;
  readonly ackWaitMs: number;
  /** Share of published events the feed delivers twice. */
  readonly duplicateRate: number;
  /**
   * Deliveries before an event is dead-lettered. Default 5, the JetStream feed's default max-deliver:
   * with a laxer budget the simulator hid a defect the real feed had (oversell cancellations retried
   * through redeliveries were dead-lettered after ~2.5 min of a source channel outage).
   */
  readonly maxDeliver?: number;
}

export interface DeadLetter {
  readonly event: unknown;
  readonly reason: string;
  readonly deliveryCount: number;
}

export class SimOrderFeed implements OrderFeed, OrderPublisher {
  private handler: OrderHandler | undefined;
  private inFlight = 0;
  private scheduled = 0;
  /** Messages published or redelivered while no one consumes: delivered on the next `consume`. */
  private parked: Array<{ value: unknown; deliveryCount: number }> = [];
  /** Messages neither acked nor dead-lettered (incl. those waiting for a redelivery). */
  private live = 0;
  private idleWaiters: Array<() => void> = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly stats = { published: 0, deliveries: 0, redeliveries: 0, duplicatesInjected: 0, lostAcks: 0, handlerCrashes: 0 };

  constructor(private readonly options: SimOrderFeedOptions) {}

  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    const parked = this.parked;
    this.parked = [];
    for (const message of parked) this.schedule(message.value, message.deliveryCount, 0);
    return {
      // Stops handing out messages; resolves once every in-flight handler has settled its message.
      stop: () => {
        if (this.handler === handler) this.handler = undefined;
        if (this.inFlight === 0) return Promise.resolve();
        return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      },
    };
  }

  /** Publishes an event (already an object; `publishRaw` validates an arbitrary value like the wire decoder). */
  publish(event: OrderEvent): Promise<{ duplicate: boolean }> {
    this.publishRaw(event);
    return Promise.resolve({ duplicate: false });
  }

  /** Publishes any value, or raw bytes as a foreign producer would; validated on delivery like the wire decoder. */
  publishRaw(value: unknown): void {
    this.stats.published += 1;
    this.live += 1;
    this.schedule(value, 1, sample(this.options.delay, this.options.random));
    if (this.options.duplicateRate > 0 && this.options.random.next() < this.options.duplicateRate) {
      this.stats.duplicatesInjected += 1;
      this.live += 1;
      this.schedule(value, 1, sample(this.options.delay, this.options.random) * 2);
    }
  }

  /** Nothing scheduled and nothing being handled. */
  get idle(): boolean {
    return this.inFlight === 0 && this.scheduled === 0;
  }

  /** Messages not yet acked or dead-lettered; 0 means nothing can be delivered again. */
  get unsettled(): number {
    return this.live;
  }

  private settle(): void {
    this.live -= 1;
  }

  private deadLetter(letter: DeadLetter): void {
    this.deadLetters.push(letter);
    this.settle();
  }

  private schedule(value: unknown, deliveryCount: number, delayMs: number): void {
    this.scheduled += 1;
    this.options.scheduler.setTimer(delayMs, () => {
      this.scheduled -= 1;
      void this.deliver(value, deliveryCount);
    });
  }

  private async deliver(value: unknown, deliveryCount: number): Promise<void> {
    const handler = this.handler;
    if (!handler) {
      this.parked.push({ value, deliveryCount });
      return;
    }
    const maxDeliver = this.options.maxDeliver ?? 5;
    if (deliveryCount > maxDeliver) {
      this.deadLetter({ event: value, reason: `max deliveries (${maxDeliver}) exceeded`, deliveryCount: deliveryCount - 1 });
      return;
    }
    this.stats.deliveries += 1;
    if (deliveryCount > 1) this.stats.redeliveries += 1;
    const decoded = value instanceof Uint8Array ? decodeOrderEvent(value) : validateOrderEvent(value);
    if (!decoded.ok) {
      this.deadLetter({ event: value, reason: `invalid event: ${formatProblems(decoded.problems)}`, deliveryCount });
      return;
    }
    const info: DeliveryInfo = { deliveryCount, working() {} };
    this.inFlight += 1;
    try {
      const disposition = await handler(decoded.event, info);
      if (disposition.kind === "retry") this.schedule(value, deliveryCount + 1, disposition.delayMs);
      else if (disposition.kind === "dead-letter") this.deadLetter({ event: value, reason: disposition.reason, deliveryCount });
      else if (this.options.lostAckRate > 0 && this.options.random.next() < this.options.lostAckRate) {
        this.stats.lostAcks += 1;
        this.schedule(value, deliveryCount + 1, this.options.ackWaitMs);
      } else this.settle();
    } catch {
      // A handler that throws is a crash: the message is redelivered after the ack wait.
      this.stats.handlerCrashes += 1;
      this.schedule(value, deliveryCount + 1, this.options.ackWaitMs);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }
}
