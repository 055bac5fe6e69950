// What a started engine takes back of the day's revision counts read from Redis (the revision ledger).
// Easy to get wrong: with `replicas: N` the ledger's hash holds every replica's revisions of a listing,
// while each replica paces only its share (the cap divided by N, `channelBudgetPerReplica`). Taking the
// TOTAL back as its own count froze a listing after a rolling deploy: two replicas that spent 63 each of
// eBay's 250 both restarted at 126 > 125, holding even a sell-out until midnight UTC while eBay had counted
// 126 of 250. So a replica takes back its expected part of the total, ceil(total / N): exact for a
// rolling deploy of evenly loaded replicas, and the replicas together then stay within the cap —
// Σ(share − ceil(total/N)) + total ≤ N·share ≤ cap. The one case it undercounts: only one of unevenly
// loaded replicas restarts, and it was the heavy one (it forgets its excess over the mean). Replicas take
// orders round-robin from one JetStream consumer, so a listing's spending is near even among them.

import { type RevisionCount } from "@synclag/redis-store";

/** The count a started replica assumes for a listing whose ledger total (every replica's) is `total`: ceil(total / replicas). */
export function revisionsTakenBack(total: number, replicas: number): number {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a whole number ≥ 0, got ${total}`);
  if (!Number.isSafeInteger(replicas) || replicas < 1) throw new RangeError(`replicas must be a whole number ≥ 1, got ${replicas}`);
  return Math.ceil(total / replicas);
}

/**
 * Gives the propagator each listing's revisions of `day` (the ledger's totals, `RevisionLedger.load`) as
 * this replica's count (`revisionsTakenBack`). Returns how many listings per channel were taken back.
 */
export function takeBackRevisionCounts(propagator: { assumeRevisions(channel: string, sku: string, day: number, count: number): void }, counts: readonly RevisionCount[], day: number, replicas: number): Record<string, number> {
  const perChannel: Record<string, number> = {};
  for (const { channel, sku, count } of counts) {
    propagator.assumeRevisions(channel, sku, day, revisionsTakenBack(count, replicas));
    perChannel[channel] = (perChannel[channel] ?? 0) + 1;
  }
  return perChannel;
}
