// Each channel's cancellation rate against its own marketplace's limit, for the report's cards,
// section 3 and its chart. A marketplace holds a seller to the cancellations of the orders it took
// itself, so the figure that decides whether an account is at risk is a channel's, not the rate pooled
// over every channel (`orders.cancellationRate`), which can sit under the line while one marketplace is
// over it. Easy to get wrong: a document written before the per-channel figures existed has none —
// then there is no worst channel (null), never a guess from the pooled rate.

import type { ResultDocument, StrategyResult } from "@synclag/sim";

/** The line Amazon publishes for sellers (2.5 %): a channel's limit when its document does not record one, and the pooled rate's. */
export const CANCELLATION_RATE_LIMIT = 0.025;

export interface ChannelCancellation {
  readonly channel: string;
  readonly accepted: number;
  readonly oversold: number;
  /** oversold ÷ accepted of this channel alone, as the document records it. */
  readonly cancellationRate: number;
  /** The rate this channel's marketplace holds sellers to. */
  readonly cancellationRateLimit: number;
  /** At or over the limit (the marketplace wants a rate *below* it). */
  readonly overLimit: boolean;
}

/** Every scenario channel's figures in scenario order; null when the document lacks them (written before they existed). */
export function channelCancellations(doc: ResultDocument, s: StrategyResult): ChannelCancellation[] | null {
  const list: ChannelCancellation[] = [];
  for (const { id } of doc.scenario.channels) {
    const c = s.channels[id];
    if (c?.accepted === undefined || c.cancellationRate === undefined) return null;
    const limit = c.cancellationRateLimit ?? CANCELLATION_RATE_LIMIT;
    list.push({ channel: id, accepted: c.accepted, oversold: c.oversold, cancellationRate: c.cancellationRate, cancellationRateLimit: limit, overLimit: c.cancellationRate >= limit });
  }
  return list;
}

/**
 * The channel furthest over its own limit, or closest to it when none is over: the highest rate ÷
 * limit (limits may differ between marketplaces), the first in scenario order on a tie. Null without
 * per-channel figures.
 */
export function worstChannel(doc: ResultDocument, s: StrategyResult): ChannelCancellation | null {
  const list = channelCancellations(doc, s);
  if (list === null) return null;
  let worst: ChannelCancellation | null = null;
  for (const c of list) if (worst === null || c.cancellationRate / c.cancellationRateLimit > worst.cancellationRate / worst.cancellationRateLimit) worst = c;
  return worst;
}
