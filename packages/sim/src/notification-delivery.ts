// When an order notification's deliveries reach the engine, from the marketplace model's plan — with
// Flipkart's head-of-line blocking as the HTTP sender (mock-marketplaces' webhook-sender.ts) does it.
// Easy to get wrong: a blocked job's retries are timed from when its first attempt *actually* went out
// (not from the planned time); the channel is held until the job is done — delivered, or, when every
// attempt failed, its last failed attempt; and a duplicate holds back nothing.

import type { MarketplaceModel } from "@synclag/marketplaces";

export type NotificationPlan = ReturnType<MarketplaceModel["planNotification"]>;

export interface NotificationTimes {
  /** Absolute times the notification reaches the engine, as sent: the delivery, then a duplicate. Empty when lost. */
  readonly deliveriesMs: readonly number[];
  /** Head-of-line blocking: when the channel's next job may send its first attempt (this job's end). Else undefined. */
  readonly blockedUntilMs: number | undefined;
}

/**
 * The deliveries of one notification confirmed at `confirmedAtMs`, given its `plan` and — on a channel
 * with head-of-line blocking — `blockedUntilMs`, the end of the channel's previous job (undefined: none).
 */
export function notificationTimes(model: MarketplaceModel, plan: NotificationPlan, confirmedAtMs: number, blockedUntilMs: number | undefined): NotificationTimes {
  let originMs = confirmedAtMs;
  let firstOffsetMs = plan.firstOffsetMs;
  const blocking = model.profile.notifications.headOfLineBlocking;
  if (blocking && blockedUntilMs !== undefined && blockedUntilMs > originMs + firstOffsetMs) {
    originMs = blockedUntilMs;
    firstOffsetMs = 0;
  }
  // The last attempt: the delivery, or the last failed one of a lost notification.
  const lastOffsetMs = model.notificationAttemptAtMs(firstOffsetMs, plan.attempts - 1);
  const next = blocking ? originMs + lastOffsetMs : undefined;
  if (!plan.delivered) return { deliveriesMs: [], blockedUntilMs: next };
  const deliveriesMs = [originMs + lastOffsetMs];
  if (plan.duplicateDelayMs !== undefined) deliveriesMs.push(originMs + (lastOffsetMs + plan.duplicateDelayMs));
  return { deliveriesMs, blockedUntilMs: next };
}
