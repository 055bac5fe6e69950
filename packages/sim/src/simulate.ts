// The deterministic simulator: seed → options → run the engine's own code (both strategies live in
// @synclag/engine) against virtual-time in-memory adapters and marketplace models under the
// scenario's faults → heal → convergence phase with a budget → checkers → result. Same seed,
// byte-identical result. Easy to get wrong: every random draw comes from a *named* stream forked from
// the seed, and nothing reads real time — progress reporting goes through a callback the caller owns.

import { compileSampler, InMemoryStockStore, InvariantError, listedQuantity, Prng, VirtualScheduler, type ApplyResult, type Distribution, type OrderId, type OrderEvent, type OrderInput, type StockMutationInput, type StockStore } from "@synclag/core";
import { Engine, type Strategy } from "@synclag/engine";
import { DEFAULT_PROFILES, MarketplaceModel, type MarketplaceProfile } from "@synclag/marketplaces";
import { Histogram, InMemoryMetrics } from "@synclag/metrics";
import { buildCatalog, computeCost, parseStrategy as parseStrategyText, planArrivals, type ChannelSpec, type Scenario } from "@synclag/workload";
import { checkConservation, checkConvergence, checkEveryOversellCancelled, checkLagNeverNegative, checkNoValidOrderDeadLettered, checkNoVersionRegression, checkSingleApplication, checkStockNeverNegative, explainDrift, type CheckResult } from "./checkers.js";
import { DriftLedger } from "./drift-ledger.js";
import { GroundTruth } from "./ground-truth.js";
import { notificationTimes } from "./notification-delivery.js";
import { RESULT_SCHEMA_VERSION, blockedMsOf, rateLimitBound, type ChannelResult, type ResultDocument, type StrategyResult } from "./result.js";
import { SimChannelClient } from "./sim-channel-client.js";
import { SimOrderFeed } from "./sim-order-feed.js";

const DAY_MS = 86_400_000;

export interface SimulateOptions {
  /** Called now and then with progress (virtual ms done, virtual ms total); the CLI draws a bar. */
  readonly onProgress?: (doneMs: number, totalMs: number) => void;
  /** Deliberately break an invariant (tests prove each checker can fail). */
  readonly sabotage?: "double-apply" | "skip-push" | "negative-stock" | "drop-cancel" | "wrong-cancel" | "stale-push";
}

/**
 * "events" / "polling:<interval>" → the engine's Strategy. Delegates to @synclag/workload's parser,
 * the one the scenario schema validates `strategies` with, so a validated scenario never fails here.
 */
export function parseStrategy(text: string): { ok: true; strategy: Strategy } | { ok: false; problem: string } {
  return parseStrategyText(text);
}

/** The scenario's profile for a channel: the kind's defaults with the scenario's overrides. */
export function resolveProfile(spec: ChannelSpec): MarketplaceProfile {
  const base = DEFAULT_PROFILES[spec.kind];
  const o = spec.profile ?? {};
  const faults = o.faults ?? {};
  const n = o.notifications ?? {};
  return {
    ...base,
    ...(o.maxBatchSize === undefined ? {} : { maxBatchSize: o.maxBatchSize }),
    ...(o.rateLimit === undefined ? {} : { rateLimit: o.rateLimit }),
    ...(o.clientRateLimit === undefined ? {} : { clientRateLimit: o.clientRateLimit }),
    ...(o.apiLatency === undefined ? {} : { apiLatency: o.apiLatency }),
    ...(o.visibilityDelay === undefined ? {} : { visibilityDelay: o.visibilityDelay }),
    ...(o.clientTimeoutMs === undefined ? {} : { clientTimeoutMs: o.clientTimeoutMs }),
    ...(o.revisionsPerListingPerDay === undefined ? {} : { revisionsPerListingPerDay: o.revisionsPerListingPerDay }),
    ...(o.batchLinger === undefined ? {} : { batchLingerMs: o.batchLinger }),
    faults: {
      serverErrorRate: faults.serverErrorRate ?? base.faults.serverErrorRate,
      timeoutAfterApplyRate: faults.timeoutAfterApplyRate ?? base.faults.timeoutAfterApplyRate,
      itemRejectRate: faults.itemRejectRate ?? base.faults.itemRejectRate,
      outages: faults.outages ? faults.outages.map((w) => ({ startMs: w.start, durationMs: w.duration })) : base.faults.outages,
    },
    notifications: {
      delay: n.delay ?? base.notifications.delay,
      duplicateRate: n.duplicateRate ?? base.notifications.duplicateRate,
      attemptFailureRate: n.attemptFailureRate ?? base.notifications.attemptFailureRate,
      retries: n.retries ?? base.notifications.retries,
      retrySpanMs: n.retrySpan ?? base.notifications.retrySpanMs,
      headOfLineBlocking: n.headOfLineBlocking ?? base.notifications.headOfLineBlocking,
    },
  };
}

/** A StockStore whose calls take virtual time (the store's round trip). */
class SimStockStore implements StockStore {
  /** Pending-cancellation calls draw their latency from a stream of their own, so they shift no other store call's draws. */
  private readonly cancellationRandom: Prng;
  private readonly drawLatencyMs: (random: Prng) => number;
  constructor(readonly inner: InMemoryStockStore, private readonly scheduler: VirtualScheduler, latency: Distribution, private readonly random: Prng) {
    this.cancellationRandom = random.fork("cancellations");
    this.drawLatencyMs = compileSampler(latency);
  }
  private later<T>(produce: () => T, random: Prng = this.random): Promise<T> {
    const delay = this.drawLatencyMs(random);
    return new Promise((resolve) => this.scheduler.setTimer(delay, () => resolve(produce())));
  }
  applyOrder(order: OrderInput) {
    return this.later(() => this.inner.model.applyOrder(order));
  }
  applyOrders(orders: readonly OrderInput[]) {
    return this.later(() => orders.map((order) => this.inner.model.applyOrder(order)));
  }
  restock(input: StockMutationInput) {
    return this.later(() => this.inner.model.restock(input));
  }
  setQuantity(input: StockMutationInput) {
    return this.later(() => this.inner.model.setQuantity(input));
  }
  snapshot(skus?: readonly string[]) {
    return this.later(() => this.inner.model.snapshot(skus));
  }
  readAudit(options?: { afterSeq?: number; limit?: number }) {
    return this.inner.readAudit(options);
  }
  readOutbox(limit: number) {
    return this.later(() => this.inner.model.readOutbox(limit));
  }
  ackOutbox(ids: readonly string[]) {
    return this.later(() => this.inner.model.ackOutbox(ids));
  }
  readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }) {
    return this.later(() => this.inner.model.readPendingCancellations(options), this.cancellationRandom);
  }
  removePendingCancellations(seqs: readonly number[]) {
    return this.later(() => this.inner.model.removePendingCancellations(seqs), this.cancellationRandom);
  }
}

function emptyPerMinute(durationMs: number): number[] {
  return new Array<number>(Math.ceil(durationMs / 60_000)).fill(0);
}

/** Runs one strategy over one scenario. */
export async function simulateStrategy(scenario: Scenario, strategyText: string, seed: number, options: SimulateOptions = {}): Promise<StrategyResult> {
  const parsed = parseStrategy(strategyText);
  if (!parsed.ok) throw new RangeError(parsed.problem);
  const strategy = parsed.strategy;
  const startMs = Date.parse(scenario.startAt);
  const endMs = startMs + scenario.duration;
  const root = new Prng(seed);
  const scheduler = new VirtualScheduler(startMs);
  const metrics = new InMemoryMetrics();

  // --- Catalog and truth ---------------------------------------------------------------------
  const catalog = buildCatalog(scenario, seed);
  const memoryStore = new InMemoryStockStore({ clock: scheduler });
  for (const item of catalog) memoryStore.model.setQuantity({ sku: item.sku, quantity: item.stock, reason: "initial stock" });
  const store = new SimStockStore(memoryStore, scheduler, scenario.engine.storeLatency, root.fork("store"));
  const skus = catalog.map((item) => item.sku);
  const truth = new GroundTruth(scenario.channels.map((c) => (c.policy ? { id: c.id, policy: c.policy } : { id: c.id })), skus, startMs, endMs);
  let lagError: Error | undefined;
  /**
   * Without a reconciler nothing repairs what sales the engine could not account for took off a listing
   * (lost notifications; oversells that took units off an update still on its way): the ledger records
   * it from the marketplace side, and the drift it accounts for exactly is reported, not failed.
   */
  const ledger = scenario.engine.reconcileInterval > 0 ? undefined : new DriftLedger();

  // --- Marketplaces and clients ---------------------------------------------------------------
  const models = new Map<string, MarketplaceModel>();
  const clients = new Map<string, SimChannelClient>();
  /** One reveal timer per model at a time, at the earliest visibility time it needs. */
  const revealer = (model: MarketplaceModel) => {
    let timerAt: number | undefined;
    const schedule = () => {
      const next = model.nextVisibilityAtMs;
      if (next === undefined) return;
      const at = Math.ceil(next); // virtual time moves in whole milliseconds
      if (timerAt !== undefined && timerAt <= at && timerAt >= scheduler.now()) return;
      timerAt = at;
      // Synchronous: revealing settles no promise (the ground truth and the next reveal only).
      scheduler.atSync(at, () => {
        if (timerAt === at) timerAt = undefined;
        model.revealDue(scheduler.now());
        schedule();
      });
    };
    return schedule;
  };
  // The models' SKU slots are the catalog's order, which is also the ground truth's SKU index.
  const skuSlots = new Map(catalog.map((item, slot) => [item.sku, slot] as const));
  for (const spec of scenario.channels) {
    const profile = resolveProfile(spec);
    let scheduleReveal: () => void = () => {};
    const c = truth.channelIndexOf(spec.id);
    const model = new MarketplaceModel({
      channel: spec.id,
      profile,
      random: root.fork(`market:${spec.id}`),
      startMs,
      skuSlots,
      onVisible: (change) => {
        try {
          truth.visibleAt(c, change.slot ?? truth.skuIndexOf(change.sku), change.version, change.quantity, change.atMs);
        } catch (error) {
          lagError ??= error as Error;
        }
      },
      onAccepted: (change) => {
        ledger?.accepted(spec.id, change.sku);
        try {
          truth.acceptedAt(c, change.slot ?? truth.skuIndexOf(change.sku), change.version, change.atMs);
        } catch (error) {
          lagError ??= error as Error;
        }
        scheduleReveal();
      },
    });
    scheduleReveal = revealer(model);
    models.set(spec.id, model);
    clients.set(spec.id, new SimChannelClient(model, scheduler));
    // Storms may overlap: at each boundary the tightening is the harshest (lowest) factor of the storms
    // active then, 1 when none is — the end of a short storm inside a longer one must not lift the
    // longer one. Set only when it changes (a milder storm inside a harsher one changes nothing); two
    // events per storm, as before, so runs without overlapping storms are unchanged.
    const storms = spec.profile?.faults?.throttleStorms ?? [];
    const stormFactorAt = (atMs: number) => storms.reduce((factor, s) => (startMs + s.start <= atMs && atMs < startMs + s.start + s.duration ? Math.min(factor, s.factor) : factor), 1);
    let stormFactor = 1;
    const stormBoundary = () => {
      const factor = stormFactorAt(scheduler.now());
      if (factor === stormFactor) return;
      stormFactor = factor;
      model.tightenThrottle(factor, scheduler.now());
    };
    for (const storm of storms) {
      scheduler.at(startMs + storm.start, stormBoundary);
      scheduler.at(startMs + storm.start + storm.duration, stormBoundary);
    }
  }
  // SKU by SKU, not channel by channel: an order's updates reach every channel's listing of one SKU at
  // about the same time, and listings seeded together sit together in memory.
  for (const item of catalog) for (const spec of scenario.channels) (models.get(spec.id) as MarketplaceModel).seed(item.sku, listedQuantity(item.stock, spec.policy), 1);
  for (const item of catalog) truth.seed(item.sku, item.stock, scenario.channels.map((c) => listedQuantity(item.stock, c.policy)));

  // --- Order accounting (from the marketplace side and the engine's results) ---------------------
  const counts = { attempted: 0, accepted: 0, fulfilled: 0, oversold: 0, lostSales: 0, lostSalesByAgents: 0, soldOut: 0, unnotified: 0, duplicateDeliveries: 0 };
  /** By source channel (an order belongs to the channel that took it): they add up to `counts`' figures. */
  const perChannel = new Map(scenario.channels.map((c) => [c.id, { accepted: 0, oversold: 0, lostSales: 0 }]));
  /** Oversold orders by source channel (the cancellations must be exactly these). */
  const oversoldIds = new Map(scenario.channels.map((c) => [c.id, new Set<string>()]));
  const perMinute = { accepted: emptyPerMinute(scenario.duration), oversold: emptyPerMinute(scenario.duration), lostSales: emptyPerMinute(scenario.duration) };
  const minute = (atMs: number) => Math.min(perMinute.accepted.length - 1, Math.max(0, Math.floor((atMs - startMs) / 60_000)));
  const pollingWindowMs = strategy.kind === "polling" ? strategy.intervalMs : 0;
  /** Accepted orders per polling window (by arrival time): what each sync has to catch up on. */
  // Orders placed per polling window (issue 2: steady-day 500/96 ≈ 5.2): every buyer who tried to order,
  // those a sold-out listing turned away included — the demand each sync window's stale counts faced.
  const ordersPerWindowCount: number[] = [];

  // Units sold at a marketplace whose order the store has not settled yet (its notification is on its
  // way or lost): the store's level still counts them, but they are gone — a buyer turned away while
  // only they were left is not a lost sale. An order stops counting at its first outcome (applied: the
  // level no longer holds them; insufficient: they never were there, and the order is cancelled).
  const committed = new Map<string, number>();
  const unsettled = new Map<string, OrderEvent["lines"]>();
  const settle = (orderId: string) => {
    const lines = unsettled.get(orderId);
    if (!lines) return; // a redelivery or duplicate: settled already
    unsettled.delete(orderId);
    for (const line of lines) committed.set(line.sku, (committed.get(line.sku) ?? 0) - line.quantity);
  };
  const onResult = (event: OrderEvent, result: ApplyResult) => {
    const now = scheduler.now();
    if (result.kind === "applied" || result.kind === "insufficient") {
      settle(event.orderId);
      ledger?.settled(event.orderId, result.kind);
    }
    if (result.kind === "applied") {
      counts.fulfilled += 1;
      for (const change of result.changes) {
        truth.truthChanged(change.sku, change.quantity, now);
        truth.orderApplied(event.sourceChannel, change.sku, change.version, event.confirmedAtMs);
      }
    } else if (result.kind === "insufficient") {
      counts.oversold += 1;
      const channel = perChannel.get(event.sourceChannel);
      if (channel) channel.oversold += 1;
      oversoldIds.get(event.sourceChannel)?.add(event.orderId);
      perMinute.oversold[minute(event.confirmedAtMs)] = (perMinute.oversold[minute(event.confirmedAtMs)] ?? 0) + 1;
    } else if (result.kind === "duplicate") {
      counts.duplicateDeliveries += 1;
    }
  };

  // --- Feed and engine --------------------------------------------------------------------------
  const feed = new SimOrderFeed({
    scheduler,
    random: root.fork("feed"),
    delay: scenario.feed.delay,
    lostAckRate: scenario.feed.lostAckRate,
    ackWaitMs: scenario.feed.ackWait,
    duplicateRate: scenario.feed.duplicateRate,
  });
  /** Sabotage "wrong-cancel": the run's first cancellation goes to another order (set once it did). */
  const misdirected = { done: false };
  const engineStore: StockStore = options.sabotage === "double-apply" ? sabotageDoubleApply(store) : store;
  const engine = new Engine({
    store: engineStore,
    feed,
    channels: scenario.channels.map((spec) => {
      const profile = resolveProfile(spec);
      const client = clients.get(spec.id) as SimChannelClient;
      const first = spec === scenario.channels[0];
      const sabotaged = options.sabotage === "skip-push" && first ? skipPushes(client) : options.sabotage === "stale-push" && first ? pushStaleOnce(client) : options.sabotage === "drop-cancel" ? dropCancels(client) : options.sabotage === "wrong-cancel" ? misdirectFirstCancel(client, misdirected) : client;
      return {
        client: sabotaged,
        rateLimit: profile.clientRateLimit,
        ...(profile.batchLingerMs === undefined ? {} : { batchLingerMs: profile.batchLingerMs }),
        ...(profile.revisionsPerListingPerDay === undefined ? {} : { revisionsPerSkuPerDay: profile.revisionsPerListingPerDay }),
        ...(spec.policy ? { policy: spec.policy } : {}),
      };
    }),
    clock: scheduler,
    scheduler,
    random: root.fork("engine"),
    metrics,
    strategy,
    retry: { maxAttempts: scenario.engine.maxAttempts },
    reconcileIntervalMs: scenario.engine.reconcileInterval,
    onResult,
  });
  // SKU by SKU (as the listings): what the engine knows of one SKU's 40 channels sits together.
  for (const item of catalog) for (const spec of scenario.channels) engine.propagator.assumeConfirmed(spec.id, item.sku, { quantity: listedQuantity(item.stock, spec.policy), version: 1 });
  // --- Arrivals (open model: planned in advance, one scheduled at a time) -------------------------
  // Scheduled before the engine starts: buyers arrive from the scenario's start, also during the
  // engine's start-up (it reads the store, which takes virtual time); a notification sent meanwhile
  // waits in the feed until the engine consumes. Scheduled after it, the arrivals of a long start-up
  // fell in the past and were all run at its end (or never, when it outlasted the run).
  const arrivals = planArrivals(scenario, seed);
  const hol = new Map<string, number>();
  /** Notifications scheduled to reach the feed that have not yet (the run is not quiet while any are). */
  let pendingDeliveries = 0;
  /** Accepted orders none of whose notifications reached the feed yet (the convergence check reports them). */
  let ordersOnTheirWay = 0;
  // Periodic order import (`orderImport: poll`) is part of the polling baseline, the connector that
  // polls a marketplace's order API (DESIGN, "The polling baseline, modelled fairly"): the event-driven
  // engine takes each notification as it arrives whatever the scenario says.
  const importPoll = strategy.kind === "polling" && scenario.orderImport !== "push" ? scenario.orderImport : undefined;
  /** One delivery of a notification reaching the feed at `atMs` (as sent; an import poll picks it up later). */
  const deliver = (event: OrderEvent, atMs: number, first: { reached: boolean }) => {
    let at = atMs;
    if (importPoll) at = Math.ceil((at - startMs + importPoll.minAge) / importPoll.poll) * importPoll.poll + startMs;
    pendingDeliveries += 1;
    scheduler.at(at, () => {
      pendingDeliveries -= 1;
      if (!first.reached) {
        first.reached = true;
        ordersOnTheirWay -= 1;
      }
      void feed.publish(event);
    });
  };
  // An order's notification fate (delay, attempts, loss, duplicate) is drawn from a stream of its own,
  // keyed to its arrival: `notifications:<channel>/arrival:<n>`, n the arrival's place in the run's one
  // seeded arrival plan. Not from `market:<channel>`, which the engine's API calls consume (events and
  // polling call differently), nor from one stream drawn per checkout (the buyers a strategy's stale
  // listings turned away would shift every later order's fate): the same buyer order gets the same fate
  // under every strategy, and a strategy's comparison is not a comparison of notification luck.
  const notificationStreams = new Map(scenario.channels.map((c) => [c.id, root.fork(`notifications:${c.id}`)] as const));
  /** Schedules a notification's deliveries (head-of-line blocking as the HTTP sender); false when it is lost. */
  const scheduleNotification = (event: OrderEvent, model: MarketplaceModel, arrivalSeq: number): boolean => {
    const random = (notificationStreams.get(event.sourceChannel) as Prng).fork(`arrival:${arrivalSeq}`);
    const times = notificationTimes(model, model.planNotification(random), event.confirmedAtMs, hol.get(event.sourceChannel));
    if (times.blockedUntilMs !== undefined) hol.set(event.sourceChannel, times.blockedUntilMs);
    if (times.deliveriesMs.length === 0) return false;
    ordersOnTheirWay += 1;
    const first = { reached: false };
    for (const atMs of times.deliveriesMs) deliver(event, atMs, first);
    return true;
  };
  /** Arrivals planned so far: each one's place in the plan keys its notification stream. */
  let arrivalsPlanned = 0;
  const scheduleNext = () => {
    const next = arrivals.next();
    if (next.done) return;
    const arrival = next.value;
    const arrivalSeq = arrivalsPlanned++;
    scheduler.at(startMs + arrival.atMs, () => {
      scheduleNext();
      const now = scheduler.now();
      const model = models.get(arrival.channel) as MarketplaceModel;
      counts.attempted += 1;
      if (pollingWindowMs > 0) {
        const window = Math.floor(arrival.atMs / pollingWindowMs);
        ordersPerWindowCount[window] = (ordersPerWindowCount[window] ?? 0) + 1;
      }
      // What the listing converges to once its accepted updates are visible, before the sale: the sale
      // takes off that (clamped at 0), not necessarily its whole quantity (`DriftLedger`).
      const eventualBefore = ledger === undefined ? 0 : (model.listing(arrival.sku)?.acceptedQuantity ?? 0);
      const checkout = model.checkout(now, arrival.sku, arrival.quantity);
      if (!checkout.ok) {
        const available = (memoryStore.model.level(arrival.sku)?.quantity ?? 0) - (committed.get(arrival.sku) ?? 0);
        if (available >= arrival.quantity) {
          counts.lostSales += 1;
          if (arrival.agent) counts.lostSalesByAgents += 1;
          const channel = perChannel.get(arrival.channel);
          if (channel) channel.lostSales += 1;
          perMinute.lostSales[minute(now)] = (perMinute.lostSales[minute(now)] ?? 0) + 1;
        } else counts.soldOut += 1;
        return;
      }
      counts.accepted += 1;
      const source = perChannel.get(arrival.channel);
      if (source) source.accepted += 1;
      perMinute.accepted[minute(now)] = (perMinute.accepted[minute(now)] ?? 0) + 1;
      truth.shownChanged(arrival.channel, arrival.sku, model.listing(arrival.sku)?.visibleQuantity ?? 0, now);
      const event: OrderEvent = { orderId: checkout.orderId, sourceChannel: arrival.channel, lines: [{ sku: arrival.sku, quantity: arrival.quantity }], confirmedAtMs: now };
      unsettled.set(event.orderId, event.lines);
      committed.set(arrival.sku, (committed.get(arrival.sku) ?? 0) + arrival.quantity);
      const took = eventualBefore - (model.listing(arrival.sku)?.acceptedQuantity ?? 0);
      if (scheduleNotification(event, model, arrivalSeq)) ledger?.notified(event.orderId, arrival.channel, arrival.sku, arrival.quantity, took);
      else {
        counts.unnotified += 1;
        ledger?.lost(arrival.channel, arrival.sku, took);
      }
    });
  };
  scheduleNext();

  // --- Restocks ------------------------------------------------------------------------------------
  // Scheduled before the engine starts, like the arrivals: one planned during a slow start-up runs at
  // its time (adjustStock only needs the store), not when the start-up ends.
  /** Restocks not yet applied (scheduled, or in flight): they change the truth, so the run is not quiet. */
  let pendingRestocks = scenario.demand.restocks.length;
  for (const restock of scenario.demand.restocks) {
    scheduler.at(startMs + restock.at, () => {
      const targets = catalog.slice(0, restock.skus ?? catalog.length);
      void (async () => {
        for (const item of targets) {
          const result = await engine.adjustStock({ sku: item.sku, quantity: restock.quantity, kind: "restock", reason: "scheduled restock" });
          if (result.kind === "changed") truth.truthChanged(item.sku, result.change.quantity, scheduler.now());
        }
        pendingRestocks -= 1;
      })();
    });
  }
  // Start-up reads the store, which takes virtual time: run the clock until the engine is up.
  // The polling syncer arms its timer when the engine starts: polls begin at pollOriginMs + k × interval.
  const pollOriginMs = scheduler.now();
  let started = false;
  const starting = engine.start().then(() => (started = true));
  // Instant by instant, not millisecond by millisecond: a store round trip of hours is one step.
  while (!started) {
    const next = scheduler.nextAtMs;
    await scheduler.runUntil(next ?? scheduler.now());
    if (!started && next === undefined && scheduler.nextAtMs === undefined) throw new InvariantError("the engine's start-up waits on nothing the simulator has scheduled");
  }
  await starting;

  if (options.sabotage === "negative-stock") {
    scheduler.at(startMs + 1, () => void memoryStore.model.setQuantity({ sku: skus[0] as string, quantity: 0 }));
  }

  // --- Run, heal, converge ------------------------------------------------------------------------
  // Events: the convergence budget runs from the end of the arrivals. Polling pushes only on its tick, so
  // a budget counted from the end would cut off any interval longer than it before the poll that brings
  // the last orders to the channels (the real run waits one interval more, docs/engine-service.md step 4):
  // under polling the budget runs from the first poll begun at or after the run went quiet — every
  // arrival made, every notification delivered and applied, every restock applied — or, when it is not
  // quiet by the end of the budget, from the first poll after that. An interval longer than the scenario
  // still gets that one poll after the end.
  const budgetMs = scenario.convergenceBudget;
  const pollIntervalMs = strategy.kind === "polling" ? strategy.intervalMs : 0;
  const firstPollAtOrAfter = (atMs: number) => pollOriginMs + Math.max(1, Math.ceil((atMs - pollOriginMs) / pollIntervalMs)) * pollIntervalMs;
  const totalMs = (pollIntervalMs > 0 ? firstPollAtOrAfter(endMs) : endMs) + budgetMs - startMs;
  const progress = () => options.onProgress?.(Math.min(scheduler.now() - startMs, totalMs), totalMs);
  const step = Math.max(1000, Math.floor(scenario.duration / 200));
  for (let t = startMs; t < endMs; ) {
    t = Math.min(endMs, t + step);
    await scheduler.runUntil(t);
    progress();
  }
  const settleStepMs = 10_000;
  const quiet = () => pendingDeliveries === 0 && pendingRestocks === 0 && feed.idle;
  /** Nothing pending anywhere: until the next poll nothing changes what a channel shows or the truth. */
  const idle = () => {
    if (!quiet() || !engine.propagator.idle || !engine.cancellations.idle) return false;
    for (const model of models.values()) if (model.nextVisibilityAtMs !== undefined) return false;
    return true;
  };
  // Not settled while a notification is still on its way: a poll can make every listing equal the
  // truth while orders a channel accepted have not reached the engine yet, and stopping then would
  // drop them (never applied, no lag sample) with every checker green.
  const settled = () => idle() && truth.settled;
  let deadline = endMs + budgetMs;
  /** Polling: the first poll begun at or after the run went quiet (set once it did). */
  let pollAfterQuietAt: number | undefined;
  for (;;) {
    const now = scheduler.now();
    if (pollIntervalMs > 0 && pollAfterQuietAt === undefined && (quiet() || now >= endMs + budgetMs)) {
      pollAfterQuietAt = firstPollAtOrAfter(now);
      deadline = Math.max(deadline, pollAfterQuietAt + budgetMs);
    }
    if (now >= deadline || settled()) break;
    let until = Math.min(deadline, now + settleStepMs);
    // Waiting for a poll with nothing pending (a long interval): skip the steps before it in one go —
    // they would all find the run unsettled, so where it stops is the same; only faster.
    if (pollAfterQuietAt !== undefined && pollAfterQuietAt > until && idle()) {
      until = Math.max(until, endMs + Math.floor((pollAfterQuietAt - 1 - endMs) / settleStepMs) * settleStepMs);
    }
    await scheduler.runUntil(until);
    progress();
  }
  // Stopping waits for the orders in flight. An ordinary run has none by now and stops without the
  // clock moving; an order whose store round trip outlasts the budget (a store latency of hours) needs
  // the clock to run on until its reply — awaited without it, the run would hang for good.
  let stopped = false;
  const stopping = engine.stop().then(() => (stopped = true));
  // The scheduler's own drain (no real time): runs what is due now, if anything, and every continuation.
  await scheduler.runUntil(scheduler.now());
  while (!stopped) {
    const next = scheduler.nextAtMs;
    if (next === undefined) throw new InvariantError("the engine's stop waits on nothing the simulator has scheduled");
    await scheduler.runUntil(next);
  }
  await stopping;
  const simulatedMs = scheduler.now() - startMs;

  // --- Checkers ------------------------------------------------------------------------------------
  const audit = memoryStore.model.readAudit();
  if (options.sabotage === "negative-stock") {
    const first = audit[0];
    if (first) (audit as unknown[]).push({ ...first, seq: audit.length + 1, kind: "set", changes: [{ sku: first.changes[0]?.sku ?? "", delta: 0, quantity: -1, version: 999 }] });
  }
  const final = memoryStore.model.snapshot();
  const cancelledIds = new Map([...models.values()].map((m) => [m.channel as string, m.cancelledOrderIds]));
  /** Oversold orders whose cancellation the store still owes (the relay had not had it confirmed when the run ended). */
  const pendingCancellationIds = new Map<string, Set<string>>();
  for (const entry of memoryStore.model.readPendingCancellations({ limit: Number.MAX_SAFE_INTEGER })) {
    const set = pendingCancellationIds.get(entry.sourceChannel) ?? new Set<string>();
    set.add(entry.orderId);
    pendingCancellationIds.set(entry.sourceChannel, set);
  }
  const unresolved = truth.unresolved();
  // Without a reconciler nothing repairs what the ledger recorded: that drift is the configuration's
  // cost, reported (`driftUnrepaired`); with one, every listing must converge.
  const { drift, unexplained } = ledger === undefined ? { drift: [], unexplained: truth.mismatches() } : explainDrift(truth.mismatches(), ledger.unrepaired());
  const driftOf = (channel?: string) => {
    const listings = channel === undefined ? drift : drift.filter((d) => d.channel === channel);
    return { listings: listings.length, units: listings.reduce((units, d) => units + d.expected - d.shown, 0) };
  };
  const checks: CheckResult[] = [
    checkStockNeverNegative(audit),
    checkConservation(audit, final),
    checkSingleApplication(audit),
    checkConvergence(unexplained, scenario.channels.map((c, i) => ({ channel: c.id, count: unresolved[i] ?? 0 })), ordersOnTheirWay, drift),
    checkNoVersionRegression([...models.values()].map((m) => ({ channel: m.channel, count: m.stats.versionRegressions, late: m.stats.lateLandingRegressions }))),
    checkEveryOversellCancelled(oversoldIds, cancelledIds, pendingCancellationIds),
    checkNoValidOrderDeadLettered(feed.deadLetters, 0, new Set(audit.flatMap((r) => ((r.kind === "order" || r.kind === "insufficient") && r.orderId !== undefined ? [r.orderId] : [])))),
    checkLagNeverNegative(lagError),
  ];

  // --- Result --------------------------------------------------------------------------------------
  const stale = truth.staleExposure();
  const backlogs = new Map(engine.propagator.backlog().map((b) => [b.channel, b]));
  const channels: Record<string, ChannelResult> = {};
  scenario.channels.forEach((spec, index) => {
    const client = clients.get(spec.id) as SimChannelClient;
    const model = models.get(spec.id) as MarketplaceModel;
    const profile = model.profile;
    const labels = { channel: spec.id };
    const queueWait = metrics.histogram("queue_wait_ms", labels) ?? new Histogram();
    const acceptedLag = truth.channelAcceptedLag[index] as Histogram;
    const backlog = backlogs.get(spec.id);
    const blockedMs = blockedMsOf(metrics, spec.id);
    channels[spec.id] = {
      kind: spec.kind,
      syncLagMs: (truth.channelSyncLag[index] as Histogram).summary(),
      acceptedLagMs: acceptedLag.summary(),
      apiCalls: client.stats.apiCalls,
      updateCalls: client.stats.updateCalls,
      throttled: client.stats.throttled,
      serverErrors: client.stats.serverErrors,
      timeouts: client.stats.timeouts,
      itemsRejected: client.stats.itemsRejected,
      staleExposure: round(stale[index] ?? 0, 6),
      ...channelOrders(perChannel.get(spec.id), profile.cancellationRateLimit),
      lostSales: perChannel.get(spec.id)?.lostSales ?? 0,
      cancellations: model.cancellations,
      rateLimit: {
        updatesPerSecondCapacity: profile.clientRateLimit.ratePerSecond * profile.maxBatchSize,
        callsPerSecond: profile.clientRateLimit.ratePerSecond,
        maxBatchSize: profile.maxBatchSize,
        queueWaitMs: queueWait.summary(),
        backlogPeak: backlog?.backlogPeak ?? 0,
        blockedMs,
        bound: rateLimitBound(queueWait, acceptedLag, blockedMs),
      },
      driftRepaired: metrics.counter("drift_repaired_total", { channel: spec.id, direction: "high" }) + metrics.counter("drift_repaired_total", { channel: spec.id, direction: "low" }),
      driftUnrepaired: driftOf(spec.id),
      pushesAbandoned: sumCounters(metrics, "pushes_abandoned_total", spec.id),
      lateLandings: model.stats.lateLandingRegressions,
      histograms: { syncLagMs: (truth.channelSyncLag[index] as Histogram).encode(), acceptedLagMs: acceptedLag.encode() },
    };
  });
  const sum = (name: string) => scenario.channels.reduce((total, c) => total + metrics.counter(name, { channel: c.id }), 0);
  const result: StrategyResult = {
    strategy: strategyText,
    orderImport: importPoll ? `poll:${importPoll.poll}ms` : "push",
    orders: { ...counts, cancellationRate: counts.accepted > 0 ? round(counts.oversold / counts.accepted, 6) : 0, notVisibleEverywhere: truth.ordersNotVisibleEverywhere },
    syncLagMs: truth.syncLag.summary(),
    acceptedLagMs: truth.acceptedLag.summary(),
    visibleEverywhereMs: truth.visibleEverywhere.summary(),
    channels,
    cost: computeCost(scenario.cost, counts),
    ...(strategy.kind === "polling"
      ? {
          polling: {
            intervalMs: strategy.intervalMs,
            syncWindowsPerDay: round(DAY_MS / strategy.intervalMs, 3),
            ordersPerWindow: {
              // Orders placed (attempted) per window, as issue 2 defines the figure (500/96 ≈ 5.2). An
              // interval longer than the scenario has one (partial) window: every order is in it.
              mean: round(counts.attempted / Math.max(1, scenario.duration / strategy.intervalMs), 3),
              peak: ordersPerWindowCount.reduce((max, n) => Math.max(max, n ?? 0), 0),
            },
          },
        }
      : {}),
    engine: {
      pushes: sum("pushes_total"),
      pushCalls: sum("push_calls_total"),
      retries: sum("push_retries_total"),
      lateLandingRepushes: sum("late_landing_repushes_total"),
      throttled: sum("throttled_total"),
      driftRepaired: scenario.channels.reduce((total, c) => total + (channels[c.id]?.driftRepaired ?? 0), 0),
      pushesAbandoned: scenario.channels.reduce((total, c) => total + (channels[c.id]?.pushesAbandoned ?? 0), 0),
      deadLetters: feed.deadLetters.length,
      storeErrors: metrics.counter("store_errors_total"),
    },
    driftUnrepaired: driftOf(),
    checks,
    ok: checks.every((c) => c.ok),
    simulatedEvents: scheduler.eventsRun,
    simulatedMs,
    histograms: { syncLagMs: truth.syncLag.encode(), acceptedLagMs: truth.acceptedLag.encode(), visibleEverywhereMs: truth.visibleEverywhere.encode() },
    timeline: truth.timeline,
    perMinute,
  };
  return result;
}

function sumCounters(metrics: InMemoryMetrics, name: string, channel: string): number {
  return metrics.counters().filter((c) => c.name === name && c.labels.channel === channel).reduce((total, c) => total + c.value, 0);
}

/**
 * A channel's orders as a marketplace's seller metrics see them: those it took, those cancelled for want
 * of stock, and their ratio (rounded as `orders.cancellationRate`, 0 without orders), with its limit.
 */
function channelOrders(orders: { readonly accepted: number; readonly oversold: number } | undefined, cancellationRateLimit: number): Pick<ChannelResult, "accepted" | "oversold" | "cancellationRate" | "cancellationRateLimit"> {
  const accepted = orders?.accepted ?? 0;
  const oversold = orders?.oversold ?? 0;
  return { accepted, oversold, cancellationRate: accepted > 0 ? round(oversold / accepted, 6) : 0, cancellationRateLimit };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The result document's `scenario` block: what ran, for every renderer (simulated and real runs alike). */
export function describeScenario(scenario: Scenario): ResultDocument["scenario"] {
  return {
    name: scenario.name,
    description: scenario.description,
    durationMs: scenario.duration,
    startAt: scenario.startAt,
    skus: scenario.catalog.skus,
    ordersPerDay: scenario.demand.ordersPerDay,
    channels: scenario.channels.map((c) => ({ id: c.id, kind: c.kind, share: c.share })),
    cost: { ...scenario.cost },
    curve: scenario.demand.curve.map((w) => ({ startMs: w.start, durationMs: w.duration, multiplier: w.multiplier, ...(w.label === undefined ? {} : { label: w.label }) })),
  };
}

/** Runs every strategy over the same scenario and seed: the comparison. */
export async function compare(scenario: Scenario, strategies: readonly string[], seed: number, options: SimulateOptions & { readonly reproduceCommand?: string } = {}): Promise<ResultDocument> {
  const results: StrategyResult[] = [];
  for (const [index, strategy] of strategies.entries()) {
    results.push(
      await simulateStrategy(scenario, strategy, seed, {
        ...options,
        ...(options.onProgress ? { onProgress: (done: number, total: number) => options.onProgress?.(index * total + done, strategies.length * total) } : {}),
      }),
    );
  }
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    generator: { name: "synclag", mode: "simulated" },
    scenario: describeScenario(scenario),
    seed,
    strategies: results,
    ok: results.every((r) => r.ok),
    reproduce: options.reproduceCommand ?? `npx synclag compare --scenario ${scenario.name} --seed ${seed}`,
  };
}

// --- Sabotage (tests prove each checker fails when its invariant is broken on purpose) -------------

function sabotageDoubleApply(store: SimStockStore): StockStore {
  const inner = store.inner.model;
  let done = false;
  return Object.assign(Object.create(store) as StockStore, {
    applyOrder: async (order: OrderInput) => {
      const result = await store.applyOrder(order);
      if (result.kind === "applied" && !done) {
        done = true;
        // Re-apply under a fresh id: a second applied record for the same order.
        const again = inner.applyOrder({ ...order, orderId: `${order.orderId}` + "\u200b" });
        if (again.kind === "applied") (inner.readAudit().at(-1) as { orderId?: string }).orderId = order.orderId;
      }
      return result;
    },
  });
}

function skipPushes(client: SimChannelClient): SimChannelClient {
  return Object.assign(Object.create(client) as SimChannelClient, {
    setQuantities: (updates: readonly { sku: string }[]) => Promise.resolve(updates.map(() => ({ ok: true as const }))),
  });
}

/**
 * An engine that moves a listing back: once a SKU's newer version was accepted, the update first sent
 * for it is sent again (in the same call's time, the client waiting for it: no late landing).
 */
function pushStaleOnce(client: SimChannelClient): SimChannelClient {
  const first = new Map<string, { sku: string; quantity: number; version: number }>();
  let done = false;
  return Object.assign(Object.create(client) as SimChannelClient, {
    setQuantities: async (updates: readonly { sku: string; quantity: number; version: number }[]) => {
      const outcomes = await client.setQuantities(updates);
      for (const [index, update] of updates.entries()) {
        const older = first.get(update.sku);
        if (older === undefined) first.set(update.sku, update);
        else if (!done && outcomes[index]?.ok === true && older.version < update.version) {
          done = true;
          await client.setQuantities([older]);
        }
      }
      return outcomes;
    },
  });
}

function dropCancels(client: SimChannelClient): SimChannelClient {
  return Object.assign(Object.create(client) as SimChannelClient, {
    cancelOrder: () => Promise.resolve({ ok: true as const }),
  });
}

/** The first cancellation of the run (over every channel) cancels an order that does not exist: the totals still match. */
function misdirectFirstCancel(client: SimChannelClient, misdirected: { done: boolean }): SimChannelClient {
  return Object.assign(Object.create(client) as SimChannelClient, {
    cancelOrder: (orderId: OrderId) => {
      if (misdirected.done) return client.cancelOrder(orderId);
      misdirected.done = true;
      return client.cancelOrder(`${orderId}-not-this-one`);
    },
  });
}
