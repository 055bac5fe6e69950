// The stock store's epoch marker: how the service notices that Redis lost its data while engines run
// (restarted without persistence, flushed, failed over to an empty replica). Without it every order for
// a catalogue SKU then looks like an order for an unknown SKU and is dead-lettered: the sale's
// decrement is lost, the other channels keep listing the sold units, and nothing but a warning says so.
// One string key beside the store's keys (`<keyPrefix>{<partition>}:epoch`, same hash slot):
//   start:<id>    written by the first engine that starts on a store without a marker (SET NX semantics);
//   lost:<id>     written by the instance that found the marker gone or replaced by another start — sticky,
//                 so an engine (re)started before the stock is restored does not take the empty store for
//                 a new one;
//   restore:<id>  written by the operator's `POST /admin/stock/restored` once the stock is back — only
//                 over a marker that says the store lost its data (`lost:`, none, another instance's
//                 `start:`): a confirmation when nothing was lost writes nothing, so a new `restore:`
//                 marker always means a loss, also to an instance that never saw the `lost:` one.
// An instance is fine while the marker equals the one it adopted; besides its own, it adopts only
// `restore:` markers (an operator's word); adopting a new one tells its `onRestored` listener (the
// restored SKUs start again at version 1, below what the engine pushed before the loss), and
// `pushRestoredStock` below is what the engine does then.
// `EpochGuardedStockStore` turns an unknown-SKU refusal into a retryable store failure while the marker
// is not fine, so the order stays in JetStream (the handler retries it as in an outage) instead of being
// dead-lettered.
// Easy to get wrong: an engine starting on an empty store cannot tell a new deployment from a lost
// store — the marker catches a loss while some engine runs (or after one noticed it). Redis must persist
// (AOF) for the engine's truth to survive a restart at all; this only keeps a loss from going unnoticed.

import { randomUUID } from "node:crypto";
import { ForwardingStockStore, SynclagError, type ApplyResult, type OrderInput, type Sku, type StockLevel, type StockStore } from "@synclag/core";
import type { RedisCommandClient } from "@synclag/redis-store";
import type { Logger } from "pino";

/** The one error line (and the readiness detail) of a data loss. */
export const STORE_LOST_MESSAGE = "the stock store lost its data (Redis restarted without persistence?) — orders are held until the stock is restored";
/** What the operator does about it. */
export const STORE_RESTORE_ACTION = "restore the stock (POST /admin/stock, a full count), then confirm with POST /admin/stock/restored";

/** The marker's value when none exists yet: adopt what is there, or create ours (atomic: two starting engines agree). */
const ESTABLISH_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

/**
 * {state, marker}: `ok` when the marker is the adopted one (ARGV[1]) or an operator's restore; `lost`
 * when it is a lost marker, or gone / another start — then a lost marker (ARGV[2]) is written, atomically
 * with the read, so a restore written meanwhile is never overwritten.
 */
const CHECK_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 5) == 'lost:' then return {'lost', v} end
if v == ARGV[1] or (v and string.sub(v, 1, 8) == 'restore:') then return {'ok', v} end
redis.call('SET', KEYS[1], ARGV[2])
return {'lost', ARGV[2]}`;

/**
 * {state, marker, SKU count}: `fine` (nothing written) when the marker is the confirming instance's
 * (ARGV[1]) or a restore — the check's `ok`, the store did not lose its data; otherwise `empty` while the
 * store holds no SKU, else `restored` with the new restore marker (ARGV[2]) written. ARGV[3] = '1' while
 * the confirming instance is in its grace (it just created its marker on a store that had none): its own
 * marker then proves nothing — it may have been restarted together with a Redis that lost its data, and
 * the running instances would mark the store lost a moment later — so a restore is written.
 */
const RESTORE_SCRIPT = `local v = redis.call('GET', KEYS[1])
local n = redis.call('SCARD', KEYS[2])
if v and string.sub(v, 1, 5) ~= 'lost:' and ((v == ARGV[1] and ARGV[3] ~= '1') or string.sub(v, 1, 8) == 'restore:') then return {'fine', v, n} end
if n == 0 then return {'empty', v or '', n} end
redis.call('SET', KEYS[1], ARGV[2])
return {'restored', ARGV[2], n}`;

/** A restore marker this instance adopted (see `StoreEpoch.onRestored`). */
export interface StoreRestore {
  readonly marker: string;
  /** True when this instance had found the store lost (false: it missed the loss, e.g. Redis was unreachable from it meanwhile). */
  readonly wasLost: boolean;
  /** Confirmed through this instance's admin API, or found on a check. */
  readonly how: "confirmed" | "found";
  /** Aborted once this restore no longer stands for this instance: a newer one, a new loss, or `stopWatching`. */
  readonly signal: AbortSignal;
}

/** What `confirmRestored` did. */
export type RestoreConfirmation =
  /** A loss was confirmed: the restore marker is written (and adopted here). `wasLost`: this instance had found the store lost. */
  | { readonly outcome: "restored"; readonly skus: number; readonly wasLost: boolean }
  /** The store lost its data but holds no SKU yet: nothing written. */
  | { readonly outcome: "no_stock"; readonly skus: 0 }
  /**
   * The store did not lose its data — since the engines started (`since: "start"`) or since the last
   * confirmed restore (`"restore"`): nothing written, no instance forgets or pushes anything.
   */
  | { readonly outcome: "not_lost"; readonly skus: number; readonly since: "start" | "restore" };

/** A store call refused because the store lost its data: retryable (the order is held, not dead-lettered). */
export class StoreDataLostError extends SynclagError {
  constructor(message: string) {
    super("data_lost", message, { retryable: true });
    this.name = "StoreDataLostError";
  }
}

export interface StoreEpochOptions {
  /** A connected client of the store's Redis. */
  readonly client: RedisCommandClient;
  /** The marker key (under the store's key prefix and hash tag). */
  readonly key: string;
  /** The store's set of SKUs (same hash tag): a restore is refused while it is empty. */
  readonly skusKey: string;
  readonly logger: Logger;
  /** Longest wait for one Redis reply, ms. Default 5 000. */
  readonly callTimeoutMs?: number;
  /** How often a running instance checks the marker (`watch`), ms. Default 1 000. */
  readonly watchIntervalMs?: number;
  /** Clock for the grace period of a marker this instance created (ms). Default Date.now. */
  readonly now?: () => number;
  /** Wait before the `onRestored` listener is called again after it failed, ms. Default 2 000. */
  readonly restoredRetryMs?: number;
}

/** A marker this instance created itself is trusted only after this many watch intervals (see `inGrace`). */
const GRACE_WATCH_INTERVALS = 3;

export class StoreEpoch {
  private adopted: string | undefined;
  private lostNow = false;
  private checking: Promise<boolean> | undefined;
  /** Until when (ms) a marker this instance created is not trusted yet; 0 when it adopted one. */
  private graceUntilMs = 0;
  private watcher: NodeJS.Timeout | undefined;
  private restoredListener: ((restore: StoreRestore) => Promise<void>) | undefined;
  /** The listener's retry after a failure (undefined: none pending). */
  private restoredRetry: NodeJS.Timeout | undefined;
  /** Aborted when the adopted restore no longer stands (its `signal`). */
  private restoreStanding: AbortController | undefined;
  private stopped = false;

  constructor(private readonly options: StoreEpochOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get watchIntervalMs(): number {
    return this.options.watchIntervalMs ?? 1_000;
  }

  /**
   * True for a short while after this instance created the marker on a store that had none. That is a
   * new deployment — or a store that lost its data while other engines run, which they notice at their
   * next watch tick (and mark lost). Until every running instance has had that tick, an unknown-SKU
   * refusal here is held, not trusted: an engine restarted together with Redis must not dead-letter
   * orders the running ones would have held.
   */
  get inGrace(): boolean {
    return this.now() < this.graceUntilMs;
  }

  /** Checks the marker every `watchIntervalMs` until `stopWatching` (a loss is noticed even with no orders refused). */
  watch(): void {
    if (this.watcher !== undefined) return;
    this.watcher = setInterval(() => void this.verify().catch(() => undefined), this.watchIntervalMs);
    this.watcher.unref();
  }

  /** Stops the checks and any retry of the `onRestored` listener (shutdown). */
  stopWatching(): void {
    clearInterval(this.watcher);
    this.watcher = undefined;
    this.stopped = true;
    clearTimeout(this.restoredRetry);
    this.restoredRetry = undefined;
    this.restoreStanding?.abort();
  }

  /**
   * What to do once this instance goes by a new `restore:` marker — whether it had found the store lost,
   * missed the loss, or the operator confirmed through it: the restored SKUs' versions restarted at 1.
   * Called without being awaited; when it rejects, it is logged and called again every
   * `restoredRetryMs` until it succeeds, a newer restore calls it afresh, or `stopWatching`. Work it
   * leaves running stops on the restore's `signal`.
   */
  onRestored(listener: (restore: StoreRestore) => Promise<void>): void {
    this.restoredListener = listener;
  }

  /** True from the moment a loss was found until the marker is restored. */
  get lost(): boolean {
    return this.lostNow;
  }

  /** The marker this instance goes by (undefined before `establish`). */
  get marker(): string | undefined {
    return this.adopted;
  }

  /** At start: adopts the store's marker, or creates one on a store that has none. */
  async establish(): Promise<void> {
    const candidate = `start:${randomUUID()}`;
    const value = asText(await this.call(["EVAL", ESTABLISH_SCRIPT, "1", this.options.key, candidate]), "marker");
    this.adopted = value;
    if (value === candidate) this.graceUntilMs = this.now() + GRACE_WATCH_INTERVALS * this.watchIntervalMs;
    if (value.startsWith("lost:")) this.noteLost(value);
  }

  /**
   * Whether the store still holds the data this instance started with (or an operator restored).
   * Concurrent calls share one Redis call. Rejects when Redis cannot be asked (an outage: retry).
   */
  verify(): Promise<boolean> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /**
   * The operator's word that the stock is back (`POST /admin/stock/restored`): after a loss, writes a
   * restore marker that every instance adopts. Writes nothing while the store holds no SKU at all, nor
   * when the store did not lose its data (a repeated confirmation): a new restore marker makes every
   * instance forget its versions and push the whole catalogue, and drops the updates it had queued.
   * The loss is judged as the check judges it, in the same script, so a loss this instance has not
   * noticed yet (its check runs once a second) still counts.
   */
  async confirmRestored(): Promise<RestoreConfirmation> {
    const adopted = this.adopted;
    if (adopted === undefined) throw new Error("the store's epoch marker was not established");
    const marker = `restore:${randomUUID()}`;
    const reply = await this.call(["EVAL", RESTORE_SCRIPT, "2", this.options.key, this.options.skusKey, adopted, marker, this.inGrace ? "1" : "0"]);
    if (!Array.isArray(reply) || reply.length !== 3) throw new Error(`unexpected reply to the restore script: ${JSON.stringify(reply)}`);
    const state = asText(reply[0], "state");
    const value = asText(reply[1], "marker");
    const skus = typeof reply[2] === "number" ? reply[2] : Number(reply[2]);
    if (!Number.isSafeInteger(skus)) throw new Error(`unexpected SKU count in the restore script's reply: ${String(reply[2])}`);
    if (state === "fine") {
      // A restore confirmed through another instance that this one had not adopted yet: adopted now.
      if (value !== adopted) this.adopt(value, "found");
      return { outcome: "not_lost", skus, since: value.startsWith("restore:") ? "restore" : "start" };
    }
    if (state === "empty") return { outcome: "no_stock", skus: 0 };
    const wasLost = this.lostNow;
    this.adopt(marker, "confirmed");
    return { outcome: "restored", skus, wasLost };
  }

  private async check(): Promise<boolean> {
    const adopted = this.adopted;
    if (adopted === undefined) throw new Error("the store's epoch marker was not established");
    const reply = await this.call(["EVAL", CHECK_SCRIPT, "1", this.options.key, adopted, `lost:${randomUUID()}`]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected reply to the epoch check: ${JSON.stringify(reply)}`);
    const state = asText(reply[0], "state");
    const value = asText(reply[1], "marker");
    if (state === "ok") {
      if (value !== adopted || this.lostNow) this.adopt(value, "found");
      return true;
    }
    this.adopted = value;
    this.noteLost(value);
    return false;
  }

  private adopt(marker: string, how: StoreRestore["how"]): void {
    const previous = this.adopted;
    const wasLost = this.lostNow;
    this.adopted = marker;
    if (wasLost) {
      this.lostNow = false;
      const where = how === "confirmed" ? "confirmed over the admin API" : "restore marker found (confirmed through another instance)";
      this.options.logger.info({ marker, key: this.options.key }, `stock store restored (${where}): held orders proceed`);
    }
    if (marker !== previous && marker.startsWith("restore:")) {
      this.restoreStanding?.abort();
      this.restoreStanding = new AbortController();
      if (this.stopped) this.restoreStanding.abort();
      this.restored({ marker, wasLost, how, signal: this.restoreStanding.signal });
    }
  }

  private restored(restore: StoreRestore): void {
    clearTimeout(this.restoredRetry);
    this.restoredRetry = undefined;
    const listener = this.restoredListener;
    if (listener === undefined || this.stopped) return;
    // Called synchronously: what the listener does before its first await happens at adoption.
    let running: Promise<void>;
    try {
      running = listener(restore);
    } catch (error) {
      running = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    void running.catch((error: unknown) => {
      // Superseded by a newer restore or a new loss, or stopped: nothing to retry.
      if (this.stopped || this.adopted !== restore.marker) return;
      const retryMs = this.options.restoredRetryMs ?? 2_000;
      this.options.logger.warn({ err: error, marker: restore.marker, retryMs }, "catching up with the stock restore failed: trying again");
      this.restoredRetry = setTimeout(() => this.restored(restore), retryMs);
      this.restoredRetry.unref();
    });
  }

  private noteLost(marker: string): void {
    // What a previous restore left running (its push) is about data that is gone again.
    this.restoreStanding?.abort();
    if (this.lostNow) return;
    this.lostNow = true;
    this.options.logger.error({ marker, key: this.options.key, action: STORE_RESTORE_ACTION }, STORE_LOST_MESSAGE);
  }

  /** One command with a bounded wait for its reply. */
  private call(args: string[]): Promise<unknown> {
    const timeoutMs = this.options.callTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.options.client.sendCommand(args),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer the epoch marker call within ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }
}

function asText(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  throw new Error(`unexpected ${what} in the epoch marker reply: ${JSON.stringify(value)}`);
}

/** The engine as `pushRestoredStock` uses it. */
export interface RestoredStockTarget {
  /** The store's levels of `skus` (every SKU when omitted); a SKU it does not hold is left out. */
  snapshot(skus?: readonly Sku[]): Promise<ReadonlyMap<Sku, StockLevel>>;
  /** Hands a level to the propagator, for every channel. */
  publish(sku: Sku, level: StockLevel): void;
  /** True when every channel confirmed (or gave up on) `version` of `sku`, or a newer one. */
  isSettled(sku: Sku, version: number): boolean;
  /** True when every channel already has `version` of `sku`, or a newer one, wanted, in flight, confirmed or given up on. */
  holdsVersion(sku: Sku, version: number): boolean;
}

export interface RestoredStockPushOptions {
  /** The restore's signal (`StoreRestore.signal`): the follow-up stops when it aborts. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** How often the follow-up looks for settled pushes (and retries a failed read), ms. Default 1 000. */
  readonly checkIntervalMs?: number;
  /** Pushes of one SKU after its first, at most; a SKU still moving then is left to the reconciler. Default 10. */
  readonly maxRepushes?: number;
}

/** How the follow-up of `pushRestoredStock` ended. */
export interface RestoredStockFollowUp {
  /** `settled`: every SKU's last push settled with the store still at that version; `aborted`: the signal. */
  readonly outcome: "settled" | "aborted";
  /** Levels pushed again because the SKU's version moved while its previous push was under way (and this instance had not pushed the new one yet). */
  readonly repushed: number;
  /** SKUs still moving after `maxRepushes` (their newest level was pushed, not followed). */
  readonly leftToReconciler: readonly Sku[];
}

/**
 * After a restore (events strategy): publishes every SKU's level from the store, and — without being
 * awaited, in `followUp` — keeps that push from leaving a channel on a level older than the store's.
 * Each instance pushes the whole catalogue, behind its channels' rate limits: a change applied through
 * another instance meanwhile (a held order, an admin set) is pushed by that instance at once, and this
 * instance's older queued level could land after it and stay — neither instance pushes again, each holds
 * its own version confirmed. So once a SKU's push settled on every channel (polled every
 * `checkIntervalMs`), the SKU is read again: a version that moved since is published and followed the
 * same way; an unchanged one is done — a change after that read is pushed (by the instance applying it)
 * after this push landed.
 * Pushing only through the instance the restore was confirmed through would not help: the newer change
 * can come through any instance; and every instance pushing keeps the catalogue push from depending on
 * one process lasting it out. Rejects only when the first read fails (the epoch retries the listener).
 */
export async function pushRestoredStock(target: RestoredStockTarget, options: RestoredStockPushOptions): Promise<{ readonly skus: number; readonly followUp: Promise<RestoredStockFollowUp> }> {
  const levels = await target.snapshot();
  // Superseded while reading (a newer restore restarted the versions, a new loss, shutdown): these
  // levels are the old restore's; published now they would take version numbers the newer one needs.
  if (options.signal.aborted) return { skus: 0, followUp: Promise.resolve({ outcome: "aborted", repushed: 0, leftToReconciler: [] }) };
  const pushed = new Map<Sku, { version: number; repushes: number }>();
  for (const [sku, level] of levels) {
    target.publish(sku, level);
    pushed.set(sku, { version: level.version, repushes: 0 });
  }
  return { skus: levels.size, followUp: followRestoredPush(target, pushed, options) };
}

async function followRestoredPush(target: RestoredStockTarget, pushed: Map<Sku, { version: number; repushes: number }>, options: RestoredStockPushOptions): Promise<RestoredStockFollowUp> {
  const { signal, logger } = options;
  const intervalMs = options.checkIntervalMs ?? 1_000;
  const maxRepushes = options.maxRepushes ?? 10;
  let repushed = 0;
  let readFailing = false;
  const leftToReconciler: Sku[] = [];
  while (pushed.size > 0) {
    if (!(await pause(intervalMs, signal))) return { outcome: "aborted", repushed, leftToReconciler };
    const settled: Sku[] = [];
    for (const [sku, { version }] of pushed) if (target.isSettled(sku, version)) settled.push(sku);
    if (settled.length === 0) continue;
    let levels: ReadonlyMap<Sku, StockLevel>;
    try {
      levels = await target.snapshot(settled);
    } catch (error) {
      if (signal.aborted) return { outcome: "aborted", repushed, leftToReconciler };
      // Retried on the next check (the settled SKUs stay settled); one line until a read succeeds.
      if (!readFailing) logger.warn({ err: error, skus: settled.length, retryMs: intervalMs }, "reading the store after the restore push failed: trying again");
      readFailing = true;
      continue;
    }
    readFailing = false;
    if (signal.aborted) return { outcome: "aborted", repushed, leftToReconciler };
    for (const sku of settled) {
      const entry = pushed.get(sku) as { version: number; repushes: number };
      const level = levels.get(sku);
      pushed.delete(sku);
      // Unmoved; or moved and already settled here (this instance applied it and pushed it after).
      if (level === undefined || level.version <= entry.version || target.isSettled(sku, level.version)) continue;
      // Moved, and this instance is already pushing that version itself (it applied the change after the
      // restore): nothing to publish, and its push goes out after the restored level — done here.
      if (target.holdsVersion(sku, level.version)) continue;
      target.publish(sku, level);
      repushed += 1;
      if (entry.repushes + 1 > maxRepushes) leftToReconciler.push(sku);
      else pushed.set(sku, { version: level.version, repushes: entry.repushes + 1 });
    }
  }
  if (leftToReconciler.length > 0) logger.warn({ skus: leftToReconciler.length, first: leftToReconciler.slice(0, 20), maxRepushes }, "stock restore push: these SKUs kept changing while their restored level was pushed; their newest level was pushed again but not followed: should another instance's newer push have landed before it, the channel lists an older level until the reconciler repairs it");
  logger.info({ repushed, leftToReconciler: leftToReconciler.length }, "stock restore push settled: every channel took (or gave up on) each SKU's restored level, and the store was read again after it — a level that had moved meanwhile was pushed again (`repushed`)");
  return { outcome: "settled", repushed, leftToReconciler };
}

/** Waits `ms` (unref'd); false when `signal` aborted first (or before). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", aborted);
      resolve(true);
    }, ms);
    timer.unref();
    const aborted = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", aborted, { once: true });
  });
}

/** An order the store refused because a SKU does not exist (the Redis store's and the model's wording). */
export function refusedForUnknownSku(result: ApplyResult): boolean {
  return result.kind === "invalid" && result.problems.some((p) => /^lines\.\d+\.sku$/.test(p.path) && p.message.startsWith("unknown SKU"));
}

/**
 * The engine's StockStore, guarded by the epoch marker: an order refused for an unknown SKU is checked
 * against the marker, and while the store has lost its data the call fails as a retryable
 * `StoreDataLostError` — the engine's handler retries it like an outage, so the order stays in JetStream.
 * Everything else passes through unchanged (one marker read only for unknown-SKU refusals).
 */
export class EpochGuardedStockStore extends ForwardingStockStore {
  constructor(
    inner: StockStore,
    private readonly epoch: StoreEpoch,
  ) {
    super(inner);
  }

  override async applyOrder(order: OrderInput): Promise<ApplyResult> {
    const result = await this.inner.applyOrder(order);
    if (refusedForUnknownSku(result)) await this.holdIfLost();
    return result;
  }

  /** As applyOrder; while the store has lost its data, one unknown-SKU refusal fails the whole call (retry with the same ids: the rest come back as duplicates). */
  override async applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]> {
    const results = await this.inner.applyOrders(orders);
    if (results.some(refusedForUnknownSku)) await this.holdIfLost();
    return results;
  }

  private async holdIfLost(): Promise<void> {
    if (!(await this.epoch.verify())) throw new StoreDataLostError(`${STORE_LOST_MESSAGE}: ${STORE_RESTORE_ACTION}`);
    if (this.epoch.inGrace) throw new StoreDataLostError("unknown SKU on a store whose epoch marker this engine just created: held for a few seconds, until any other running engine has checked whether the store lost its data");
  }
}
