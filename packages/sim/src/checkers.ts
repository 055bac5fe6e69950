// Invariant checkers run after every simulation (and every real run). Each is a pure function over
// recorded data, so a test can break each invariant on purpose and watch its checker fail.
// Easy to get wrong: a checker that is never fed the data it needs passes silently — every checker
// states what it examined in `detail`.

import type { AuditRecord, OrderId, Sku, StockLevel } from "@synclag/core";

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const ok = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });
const fail = (name: string, detail: string): CheckResult => ({ name, ok: false, detail });

export function checkStockNeverNegative(audit: readonly AuditRecord[]): CheckResult {
  const name = "stock never negative";
  let changes = 0;
  for (const record of audit) {
    for (const change of record.changes) {
      changes += 1;
      if (change.quantity < 0) return fail(name, `${change.sku} went to ${change.quantity} in audit record ${record.seq}`);
    }
  }
  return ok(name, `${changes} audited changes, none below zero`);
}

export function checkConservation(audit: readonly AuditRecord[], final: ReadonlyMap<Sku, StockLevel>): CheckResult {
  const name = "conservation against the audit";
  const sums = new Map<Sku, number>();
  for (const record of audit) for (const change of record.changes) sums.set(change.sku, (sums.get(change.sku) ?? 0) + change.delta);
  for (const [sku, level] of final) {
    const sum = sums.get(sku) ?? 0;
    if (sum !== level.quantity) return fail(name, `${sku}: audited deltas sum to ${sum}, store holds ${level.quantity}`);
  }
  for (const sku of sums.keys()) if (!final.has(sku)) return fail(name, `${sku} is audited but missing from the store`);
  return ok(name, `${final.size} SKUs: initial + restocks − applied = final`);
}

export function checkSingleApplication(audit: readonly AuditRecord[]): CheckResult {
  const name = "at most one applied record per order";
  const seen = new Set<OrderId>();
  for (const record of audit) {
    if (record.kind !== "order" && record.kind !== "insufficient") continue;
    const id = record.orderId ?? "";
    if (seen.has(id)) return fail(name, `order ${id} has more than one ${record.kind === "order" ? "applied" : "outcome"} record`);
    seen.add(id);
  }
  return ok(name, `${seen.size} orders, one outcome each`);
}

/** A listing that shows something other than its policy quantity of the truth. */
export interface Mismatch {
  readonly channel: string;
  readonly sku: Sku;
  readonly shown: number;
  readonly expected: number;
}

/**
 * Splits the listings that differ from the truth at the end of a run *without a reconciler* into drift
 * the run's configuration implies and the rest. `unrepaired` holds, per channel and SKU, the units that
 * sales no engine update put back took off the listing since its last accepted update (`DriftLedger`
 * in the simulator): orders whose notification was lost, and oversold orders that took units off an
 * update still on its way to buyers. A listing is drift when it shows exactly that many units *less*
 * than expected. Any other gap — a different amount, a listing showing more than expected, a listing
 * no such sale touched — is unexplained.
 */
export function explainDrift(mismatches: readonly Mismatch[], unrepaired: ReadonlyMap<string, ReadonlyMap<Sku, number>>): { drift: Mismatch[]; unexplained: Mismatch[] } {
  const drift: Mismatch[] = [];
  const unexplained: Mismatch[] = [];
  for (const mismatch of mismatches) {
    const units = unrepaired.get(mismatch.channel)?.get(mismatch.sku) ?? 0;
    const gap = mismatch.expected - mismatch.shown;
    (gap > 0 && gap === units ? drift : unexplained).push(mismatch);
  }
  return { drift, unexplained };
}

export function checkConvergence(
  mismatches: readonly Mismatch[],
  unresolved: ReadonlyArray<{ channel: string; count: number }>,
  /** Accepted orders whose notification had not reached the engine when the run ended (simulator). */
  undelivered = 0,
  /** Listings left short by sales the engine could not account for, with no reconciler to repair them (`explainDrift`): reported, not failed. */
  drift: readonly Mismatch[] = [],
): CheckResult {
  const name = "every channel converged after quiescence";
  if (undelivered > 0) return fail(name, `${undelivered} order${undelivered === 1 ? "'s notification was" : "s' notifications were"} still on the way to the engine when the convergence budget ran out (raise convergenceBudget above the channels' notification delays and retry spans)`);
  const first = mismatches[0];
  const units = drift.reduce((total, d) => total + d.expected - d.shown, 0);
  const example = drift[0];
  const driftText = example === undefined ? "" : `${drift.length} listing${drift.length === 1 ? "" : "s"} short by ${units} unit${units === 1 ? "" : "s"} in all, drift explained by sales the engine could not account for (lost notifications, or oversells that took units off an update still on its way to buyers; no reconciler ran to repair it), e.g. ${example.channel}/${example.sku} shows ${example.shown}, expected ${example.expected}`;
  const besides = driftText === "" ? "" : `; besides, ${driftText}`;
  if (first) return fail(name, `${mismatches.length} listings differ from the truth, e.g. ${first.channel}/${first.sku} shows ${first.shown}, expected ${first.expected}${besides}`);
  const waiting = unresolved.filter((u) => u.count > 0);
  if (waiting.length > 0) return fail(name, `orders never became visible: ${waiting.map((u) => `${u.channel} ${u.count}`).join(", ")}${besides}`);
  if (driftText !== "") return ok(name, `${driftText}; every other listing equals its policy quantity of the truth; every order visible everywhere`);
  return ok(name, "every listing equals its policy quantity of the truth; every order visible everywhere");
}

/**
 * No channel accepted an update at an older version than its listing had — except a *late landing*: a
 * request carrying a version that was current when it was sent (no older than the listing had accepted
 * or the engine had sent for that SKU), whose client then gave up on it (a timeout), reaching the
 * marketplace after a newer version. No engine can stop the network delivering an abandoned request,
 * and marketplaces have no version check; the engine's part is to repair it (it re-pushes after a
 * possible late landing, and the convergence checker still requires every listing on the latest
 * version). An older version *sent* after a newer one is the engine's however late it lands. `count` is
 * every older version accepted on the channel, `late` how many of them were late landings (the
 * simulator knows; a real run's HTTP mocks cannot tell when their client gave up, so there every
 * regression counts).
 */
export function checkNoVersionRegression(regressions: ReadonlyArray<{ channel: string; count: number; late?: number }>): CheckResult {
  const name = "no channel moved back to an older version";
  const updates = (n: number) => `${n} update${n === 1 ? "" : "s"}`;
  const bad = regressions.filter((r) => r.count - (r.late ?? 0) > 0);
  const late = regressions.filter((r) => (r.late ?? 0) > 0);
  const lateList = late.map((r) => `${r.channel}: ${updates(r.late ?? 0)}`).join(", ");
  const lateWhat = "late landings (requests their client had given up on, landing after a newer version; the convergence check covers their repair)";
  if (bad.length > 0) return fail(name, `${bad.map((r) => `${r.channel}: ${updates(r.count - (r.late ?? 0))} accepted at an older version than the listing had`).join(", ")}${lateList === "" ? "" : `; besides, ${lateWhat}: ${lateList}`}`);
  return ok(name, `${regressions.length} channels checked, no update accepted at an older version than the listing had${lateList === "" ? "" : ` but ${lateWhat}: ${lateList}`}`);
}

/**
 * Every oversold order cancelled at its source, and nothing else cancelled. Given per-channel sets of
 * order ids (the simulator), the sets must be equal channel by channel — a cancellation of the wrong
 * order cannot hide a missing one. Given totals only (a run that records no ids), the totals must match.
 */
export function checkEveryOversellCancelled(oversold: number, cancellations: number): CheckResult;
/**
 * `pending`: oversold orders whose cancellation the store still holds (the relay had not had it confirmed
 * when the run ended — a channel whose every call times out, cancellations backed off past the
 * convergence budget). Still a failure, as a listing that never converged is, but told apart from a
 * cancellation nobody owes any more (lost), with what to do about it.
 */
export function checkEveryOversellCancelled(oversold: ReadonlyMap<string, ReadonlySet<OrderId>>, cancelled: ReadonlyMap<string, ReadonlySet<OrderId>>, pending?: ReadonlyMap<string, ReadonlySet<OrderId>>): CheckResult;
export function checkEveryOversellCancelled(oversold: number | ReadonlyMap<string, ReadonlySet<OrderId>>, cancelled: number | ReadonlyMap<string, ReadonlySet<OrderId>>, pending?: ReadonlyMap<string, ReadonlySet<OrderId>>): CheckResult {
  const name = "every oversell cancelled at its source";
  if (typeof oversold === "number" || typeof cancelled === "number") {
    const o = typeof oversold === "number" ? oversold : sizes(oversold);
    const c = typeof cancelled === "number" ? cancelled : sizes(cancelled);
    if (o !== c) return fail(name, `${o} oversold orders, ${c} cancellations at the marketplaces`);
    return ok(name, `${o} oversold, ${c} cancelled`);
  }
  const problems: string[] = [];
  for (const channel of new Set([...oversold.keys(), ...cancelled.keys()])) {
    const sold = oversold.get(channel) ?? new Set<OrderId>();
    const done = cancelled.get(channel) ?? new Set<OrderId>();
    const owed = pending?.get(channel) ?? new Set<OrderId>();
    const notDone = [...sold].filter((id) => !done.has(id));
    const missing = notDone.filter((id) => !owed.has(id));
    const waiting = notDone.filter((id) => owed.has(id));
    const wrong = [...done].filter((id) => !sold.has(id));
    if (missing.length > 0) problems.push(`${channel}: ${missing.length} oversold order${missing.length === 1 ? "" : "s"} not cancelled (e.g. ${missing[0]})`);
    if (waiting.length > 0) problems.push(`${channel}: ${waiting.length} oversold order${waiting.length === 1 ? "'s cancellation" : "s' cancellations"} still pending in the store when the run ended (e.g. ${waiting[0]}; the channel did not confirm them in time — calls that keep timing out back the relay off: a longer convergenceBudget lets them through)`);
    if (wrong.length > 0) problems.push(`${channel}: ${wrong.length} cancellation${wrong.length === 1 ? "" : "s"} of an order not oversold there (e.g. ${wrong[0]})`);
  }
  const o = sizes(oversold);
  const c = sizes(cancelled);
  if (problems.length > 0) return fail(name, `${o} oversold orders, ${c} cancellations at the marketplaces; ${problems.join("; ")}`);
  return ok(name, `${o} oversold, ${c} cancelled`);
}

function sizes(sets: ReadonlyMap<string, ReadonlySet<OrderId>>): number {
  let total = 0;
  for (const set of sets.values()) total += set.size;
  return total;
}

/**
 * No valid order lost to the dead-letter queue. Given `settledOrderIds` (orders with an outcome in the
 * store's audit: applied, or oversold), a dead letter of one of them is no lost order: its handler ran
 * and acked, and only the acks were lost until max-deliver ran out (JetStream then dead-letters an
 * order that was applied long ago). Those are left out and counted in the detail; every other dead
 * letter must be one of the `invalidInjected` invalid events.
 */
export function checkNoValidOrderDeadLettered(deadLetters: ReadonlyArray<{ reason: string; event?: unknown }>, invalidInjected: number, settledOrderIds?: ReadonlySet<OrderId>): CheckResult {
  const name = "no dead letters for valid orders";
  const settled = (letter: { event?: unknown }) => {
    const id = typeof letter.event === "object" && letter.event !== null ? (letter.event as { orderId?: unknown }).orderId : undefined;
    return settledOrderIds !== undefined && typeof id === "string" && settledOrderIds.has(id);
  };
  const lost = deadLetters.filter((letter) => !settled(letter));
  const already = deadLetters.length - lost.length;
  const alreadyText = already === 0 ? "" : `; ${already} more of orders the store had already settled (applied or oversold: their acks were lost until max-deliver ran out)`;
  if (lost.length !== invalidInjected) return fail(name, `${lost.length} dead letters, ${invalidInjected} invalid events injected; first: ${lost[0]?.reason ?? "-"}${alreadyText}`);
  return ok(name, `${lost.length} dead letters, all for injected invalid events${alreadyText}`);
}

export function checkLagNeverNegative(error: Error | undefined): CheckResult {
  const name = "lag samples never negative";
  return error ? fail(name, error.message) : ok(name, "every lag sample ≥ 0");
}
