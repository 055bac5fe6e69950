// Sends a marketplace's order notifications to the engine's ingest URL over real HTTP, with the
// profile's behaviour: first-delivery delay, simulated attempt failures (the attempt never reaches the
// engine), real failures (non-2xx, timeout, refused) retried on the marketplace's schedule scaled by
// `retryTimeScale` (Shopify's 8 retries over 4 h become 14.4 s at 0.001), duplicates (same event id,
// new delivery id), loss when every attempt failed, WooCommerce's ping and its "disabled after more
// than 5 consecutive failures", Flipkart's head-of-line blocking (a failing delivery holds back the
// later ones of its group until it succeeds or is given up).
// Easy to get wrong: every timer must be cancelled by `stop()` (tests and the CLI must be able to
// end), and a retry is scheduled from the *first* attempt's time, not from the failure's.

import { sample, type Random } from "@synclag/core";
import { retryOffsetsMs, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import type { NotificationMessage } from "./order-notification.js";

export interface WebhookSenderOptions {
  readonly kind: MarketplaceKind;
  readonly notifications: MarketplaceProfile["notifications"];
  readonly random: Random;
  /** Multiplier on the retry schedule (1 = the documented hours). Default 0.001. */
  readonly retryTimeScale?: number;
  /** Multiplier on the first-delivery and duplicate delays. Default 1. */
  readonly delayScale?: number;
  /** Per-attempt HTTP timeout, ms. Default 10,000. */
  readonly deliveryTimeoutMs?: number;
  /** Builds the message of one attempt (attempt 1-based; deliverySeq unique per attempt). */
  readonly build: (payload: PendingNotification, attempt: number, deliverySeq: number, sentAtMs: number) => NotificationMessage;
  /** WooCommerce's ping, sent once before the first notification. */
  readonly buildPing?: (deliverySeq: number) => NotificationMessage;
  readonly clock: () => number;
}

export interface PendingNotification {
  readonly eventId: string;
  /** Group for head-of-line blocking (Flipkart); ignored elsewhere. */
  readonly group: string;
  readonly payload: unknown;
}

export interface DeliveryRecord {
  readonly eventId: string;
  readonly attempt: number;
  readonly duplicate: boolean;
  readonly atMs: number;
  readonly outcome: "delivered" | "failed" | "simulated-failure";
  readonly status?: number;
  readonly error?: string;
}

const RECENT_LIMIT = 500;
/** WooCommerce disables a webhook after more than this many consecutive failed deliveries (D). */
const WOO_DISABLE_AFTER = 5;

interface Job {
  readonly notification: PendingNotification;
  readonly firstAtMs: number;
  attempt: number;
  readonly duplicateAfterMs: number | undefined;
}

export class WebhookSender {
  readonly stats = { enqueued: 0, delivered: 0, duplicatesDelivered: 0, attemptsFailed: 0, simulatedFailures: 0, lost: 0, droppedWhileDisabled: 0, pingsSent: 0, inFlight: 0 };
  private readonly recent: DeliveryRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private readonly retries: number[];
  private readonly groups = new Map<string, Job[]>();
  private deliverySeq = 0;
  private consecutiveFailures = 0;
  private disabled = false;
  private pinged = false;
  private stopped = false;

  constructor(private readonly url: string, private readonly options: WebhookSenderOptions) {
    const scale = options.retryTimeScale ?? 0.001;
    this.retries = retryOffsetsMs(options.notifications).map((at) => at * scale);
  }

  get isDisabled(): boolean {
    return this.disabled;
  }

  recentDeliveries(): readonly DeliveryRecord[] {
    return this.recent;
  }

  /** Plans and schedules the deliveries of one notification. */
  enqueue(notification: PendingNotification): void {
    if (this.stopped) return;
    const n = this.options.notifications;
    const random = this.options.random;
    const delayScale = this.options.delayScale ?? 1;
    this.stats.enqueued += 1;
    const firstAtMs = this.options.clock() + sample(n.delay, random) * delayScale;
    const duplicateAfterMs = n.duplicateRate > 0 && random.next() < n.duplicateRate ? sample(n.delay, random) * delayScale : undefined;
    const job: Job = { notification, firstAtMs, attempt: 1, duplicateAfterMs };
    if (!n.headOfLineBlocking) {
      this.at(firstAtMs, () => void this.attempt(job));
      return;
    }
    const queue = this.groups.get(notification.group) ?? [];
    queue.push(job);
    this.groups.set(notification.group, queue);
    if (queue.length === 1) this.at(firstAtMs, () => void this.attempt(job));
  }

  /** Cancels every pending delivery and aborts the ones in flight. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
    this.groups.clear();
  }

  private at(atMs: number, run: () => void): void {
    if (this.stopped) return;
    const delay = Math.max(0, Math.min(2_147_483_647, atMs - this.options.clock()));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private record(entry: DeliveryRecord): void {
    this.recent.push(entry);
    if (this.recent.length > RECENT_LIMIT) this.recent.splice(0, this.recent.length - RECENT_LIMIT);
  }

  private async attempt(job: Job): Promise<void> {
    if (this.stopped) return;
    if (this.disabled) {
      this.stats.droppedWhileDisabled += 1;
      this.finish(job);
      return;
    }
    if (this.options.buildPing && !this.pinged) {
      this.pinged = true;
      this.stats.pingsSent += 1;
      await this.send(this.options.buildPing(++this.deliverySeq));
    }
    const n = this.options.notifications;
    const nowMs = this.options.clock();
    let delivered = false;
    if (n.attemptFailureRate > 0 && this.options.random.next() < n.attemptFailureRate) {
      this.stats.simulatedFailures += 1;
      this.record({ eventId: job.notification.eventId, attempt: job.attempt, duplicate: false, atMs: nowMs, outcome: "simulated-failure" });
    } else {
      const outcome = await this.send(this.options.build(job.notification, job.attempt, ++this.deliverySeq, nowMs));
      this.record({ eventId: job.notification.eventId, attempt: job.attempt, duplicate: false, atMs: nowMs, ...outcome });
      delivered = outcome.outcome === "delivered";
    }
    if (this.stopped) return;
    if (delivered) {
      this.stats.delivered += 1;
      if (job.duplicateAfterMs !== undefined) this.at(this.options.clock() + job.duplicateAfterMs, () => void this.duplicate(job));
      this.finish(job);
      return;
    }
    this.stats.attemptsFailed += 1;
    const retryOffset = this.retries[job.attempt - 1];
    if (retryOffset === undefined || this.disabled) {
      this.stats.lost += 1;
      this.finish(job);
      return;
    }
    job.attempt += 1;
    this.at(job.firstAtMs + retryOffset, () => void this.attempt(job));
  }

  private async duplicate(job: Job): Promise<void> {
    if (this.stopped || this.disabled) return;
    const nowMs = this.options.clock();
    const outcome = await this.send(this.options.build(job.notification, job.attempt, ++this.deliverySeq, nowMs));
    this.record({ eventId: job.notification.eventId, attempt: job.attempt, duplicate: true, atMs: nowMs, ...outcome });
    if (outcome.outcome === "delivered") this.stats.duplicatesDelivered += 1;
  }

  /** Head-of-line blocking: the next job of the group may go once this one is done. */
  private finish(job: Job): void {
    if (!this.options.notifications.headOfLineBlocking) return;
    const queue = this.groups.get(job.notification.group);
    if (!queue || queue[0] !== job) return;
    queue.shift();
    const next = queue[0];
    if (next) this.at(Math.max(next.firstAtMs, this.options.clock()), () => void this.attempt(next));
    else this.groups.delete(job.notification.group);
  }

  private async send(message: NotificationMessage): Promise<{ outcome: "delivered" | "failed"; status?: number; error?: string }> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.deliveryTimeoutMs ?? 10_000);
    timer.unref();
    this.stats.inFlight += 1;
    try {
      const response = await fetch(message.url, { method: message.method, headers: message.headers, body: message.body, signal: controller.signal });
      await response.arrayBuffer();
      const ok = response.status >= 200 && response.status < 300;
      this.countConsecutive(ok);
      return ok ? { outcome: "delivered", status: response.status } : { outcome: "failed", status: response.status };
    } catch (error) {
      this.countConsecutive(false);
      return { outcome: "failed", error: (error as Error).message };
    } finally {
      clearTimeout(timer);
      this.stats.inFlight -= 1;
      this.controllers.delete(controller);
    }
  }

  private countConsecutive(ok: boolean): void {
    if (ok) {
      this.consecutiveFailures = 0;
      return;
    }
    this.consecutiveFailures += 1;
    if (this.options.kind === "woocommerce" && this.consecutiveFailures > WOO_DISABLE_AFTER) this.disabled = true;
  }
}
