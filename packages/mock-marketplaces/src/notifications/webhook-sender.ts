// Sends a marketplace's order notifications to the engine's ingest URL over real HTTP, with the
// profile's behaviour: first-delivery delay, simulated attempt failures (the attempt never reaches the
// engine), real failures (non-2xx, timeout, refused) retried on the marketplace's schedule scaled by
// `retryTimeScale` (Shopify's 8 retries over 4 h become 14.4 s at 0.001), duplicates (same event id,
// new delivery id), loss when every attempt failed, WooCommerce's unsigned ping and its failure count
// (core's `WC_Webhook`: 200–302 is success, redirects are not followed, the ping is not counted, and
// the 7th consecutive failed delivery disables the webhook), Flipkart's head-of-line blocking (a
// failing delivery holds back the later ones of its group until it succeeds or is given up).
// Easy to get wrong: every timer must be cancelled by `stop()` (tests and the CLI must be able to
// end), and a retry is scheduled from the time the *first attempt actually went out* — not from the
// failure's, and not from the planned time (a job held behind a failing head of its group would find
// its whole retry budget in the past).

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
  /** Per-attempt HTTP timeout, ms (the profile's `notifications.deliveryTimeoutMs`). Default 10,000. */
  readonly deliveryTimeoutMs?: number;
  /** Builds the message of one attempt (attempt 1-based; deliverySeq unique per attempt). */
  readonly build: (payload: PendingNotification, attempt: number, deliverySeq: number, sentAtMs: number) => NotificationMessage;
  /** WooCommerce's ping, sent once before the first notification (its outcome is not a delivery failure). */
  readonly buildPing?: () => NotificationMessage;
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
/**
 * `woocommerce_max_webhook_delivery_failures` (default 5): core's `failed_delivery()` disables the
 * webhook when the stored count is already *above* this, else increments it — so the 7th consecutive
 * failed delivery disables it (D: class-wc-webhook.php).
 */
const WOO_MAX_DELIVERY_FAILURES = 5;

interface Job {
  readonly notification: PendingNotification;
  /** Planned time of the first attempt (it may go out later: head-of-line blocking). */
  readonly firstAtMs: number;
  /** When the first attempt actually went out: the retry schedule's origin. */
  firstAttemptAtMs: number | undefined;
  attempt: number;
  readonly duplicateAfterMs: number | undefined;
}

export class WebhookSender {
  /** `pingsFailed`: pings not answered exactly 200 (real WooCommerce would not activate the webhook). */
  readonly stats = { enqueued: 0, delivered: 0, duplicatesDelivered: 0, attemptsFailed: 0, simulatedFailures: 0, lost: 0, droppedWhileDisabled: 0, pingsSent: 0, pingsFailed: 0, inFlight: 0 };
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
    const job: Job = { notification, firstAtMs, firstAttemptAtMs: undefined, attempt: 1, duplicateAfterMs };
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
      if ((await this.send(this.options.buildPing(), "ping")).outcome !== "delivered") this.stats.pingsFailed += 1;
      if (this.stopped) return;
    }
    const n = this.options.notifications;
    const nowMs = this.options.clock();
    job.firstAttemptAtMs ??= nowMs;
    let delivered = false;
    if (n.attemptFailureRate > 0 && this.options.random.next() < n.attemptFailureRate) {
      this.stats.simulatedFailures += 1;
      this.record({ eventId: job.notification.eventId, attempt: job.attempt, duplicate: false, atMs: nowMs, outcome: "simulated-failure" });
    } else {
      const outcome = await this.send(this.options.build(job.notification, job.attempt, ++this.deliverySeq, nowMs), "delivery");
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
    this.at(job.firstAttemptAtMs + retryOffset, () => void this.attempt(job));
  }

  private async duplicate(job: Job): Promise<void> {
    if (this.stopped || this.disabled) return;
    const nowMs = this.options.clock();
    const outcome = await this.send(this.options.build(job.notification, job.attempt, ++this.deliverySeq, nowMs), "delivery");
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

  /** One HTTP request. A ping only succeeds on exactly 200 and never counts towards disabling. */
  private async send(message: NotificationMessage, purpose: "delivery" | "ping"): Promise<{ outcome: "delivered" | "failed"; status?: number; error?: string }> {
    const woo = this.options.kind === "woocommerce";
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.deliveryTimeoutMs ?? 10_000);
    timer.unref();
    this.stats.inFlight += 1;
    try {
      // WooCommerce delivers with `redirection => 0` and counts 2xx, 301 and 302 as success.
      const redirect = woo && purpose === "delivery" ? "manual" : "follow";
      const response = await fetch(message.url, { method: message.method, headers: message.headers, body: message.body, signal: controller.signal, redirect });
      await response.arrayBuffer();
      const status = response.status;
      const ok = purpose === "ping" ? status === 200 : woo ? status >= 200 && status < 303 : status >= 200 && status < 300;
      if (purpose === "delivery") this.countConsecutive(ok);
      return ok ? { outcome: "delivered", status } : { outcome: "failed", status };
    } catch (error) {
      if (purpose === "delivery") this.countConsecutive(false);
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
    // Core's failed_delivery(): the stored count is checked *before* it is incremented.
    if (this.options.kind === "woocommerce" && this.consecutiveFailures > WOO_MAX_DELIVERY_FAILURES) this.disabled = true;
    else this.consecutiveFailures += 1;
  }
}
