// The engine's OrderFeed on a durable JetStream pull consumer: decode and validate each message, hand
// valid events to the handler, map its Disposition to ack / nak(delay) / dead-letter + term, and
// dead-letter what can never succeed (undecodable bytes, retries used up, max-deliver reached) so a bad
// event never stalls or crashes the worker. Easy to get wrong: a message is only terminated AFTER its
// dead-letter record is acknowledged (otherwise a DLQ outage would silently drop it), and the
// max-deliver advisory is the only signal for messages whose workers died on the last delivery — on a
// work-queue stream such a message stays stored until it is dead-lettered and deleted here. Pulling is
// one fetch at a time, each for no more than the worker can start or hold (other workers get the rest),
// and stop() lets the open request end rather than dropping what is in transit for it — so what it hands
// back meanwhile is nak'd with a delay past that end, or the server would redeliver it straight into the
// request, a delivery each time, until max-deliver dead-lettered valid orders (found by review), and a last
// delivery it hands back is put back in the stream as a new message (a nak ends it: the server gives up,
// and whoever gets its max-deliver advisory dead-letters it — found by review); a deleted
// consumer or a stream lost in a server restart shows up as missed heartbeats, so the feed asks the
// server, reports it, re-creates what is missing and consumes again. A consumer whose settings keep
// order bodies or pulls from the feed (headers_only, max_batch, max_expires) is refused, never consumed,
// and said so by consumerProblem() until a pull is served again; a pull the server only turns away for
// now (max_waiting pulls already waiting: other workers') is no such problem — it is retried with backoff.
// A dead-letter write that fails (DLQ full, timeout, outage) is never the end of a message: before the
// last delivery the message is nak'd and tried again on its next delivery; ON the last delivery a nak
// would end it (the server stops delivering), so the feed keeps that delivery alive (+WPI) and retries
// the write with capped backoff until it succeeds (then term) — and a failed write on the advisory path
// is retried the same way. What a stopped process leaves behind (an exhausted message never
// dead-lettered) is found by the exhausted-message sweep: stored, at or below the consumer's delivered
// sequence, and not ack-pending — and run once more through the handler, since nats-server restarted
// after a SIGKILL can restore acked messages there too. Found by review: a full DLQ on the last
// delivery lost the order.

import { DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { headers as createHeaders, millis, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import {
  decodeOrderEvent,
  formatProblems,
  noopMetrics,
  type DeliveryInfo,
  type Disposition,
  type FeedSubscription,
  type Metrics,
  type OrderEvent,
  type OrderFeed,
  type OrderHandler,
} from "@synclag/core";
import { deadLetterMessageId, orderIdHint, readOriginalHeaders, readRawStoredHeaders, REQUEUED_FROM_HEADER, requeueMessageId, timestampNanosFromIso, writeDeadLetter, type DeadLetterInput, type DeadLetterKind } from "./dead-letter.js";
import { classifyPullRefusal, isDeleteDenied, NatsFeedError, toNatsFeedError } from "./errors.js";
import { ackWaitForDelivery, PULL_EXPIRES_MS, resolveFeedOptions, type JetStreamFeedOptions, type ResolvedFeedOptions } from "./feed-options.js";
import { describeMismatches, diffConsumerReception, pullRequirements, recreateMissingResources } from "./provision-streams.js";
import { orderSubjects } from "./subjects.js";

/** Longest pause between attempts to (re)start consuming or to re-create a lost stream/consumer. */
const MAX_RESTART_DELAY_MS = 5_000;
/** Consuming that lasted this long counts as recovered: the next failure starts the backoff afresh. */
const STABLE_CONSUMING_MS = 30_000;

/** Longest pause between two attempts of a dead-letter write that must not be given up (ms). */
const MAX_DEAD_LETTER_RETRY_MS = 30_000;
/** Most dead letters waiting for a retry at once (memory bound); beyond it the exhausted sweep is the net. */
const MAX_PENDING_DEAD_LETTERS = 10_000;
/** Most exhausted messages one sweep dead-letters; the next sweep continues. */
const EXHAUSTED_SWEEP_BATCH = 1_000;
/**
 * A sweep re-checks its candidates after this pause: an ack updates the consumer before the work-queue
 * stream deletes the message, so one snapshot could show an order just acked as "stored, not pending".
 */
const EXHAUSTED_RECHECK_MS = 1_000;
/** Most sequences remembered as undeletable (see `undeletable`); beyond it the oldest is forgotten. */
const MAX_UNDELETABLE = 10_000;
/** Most dead-letter writes remembered as possibly stored (see `uncertainDeadLetters`); beyond it the oldest is forgotten. */
const MAX_UNCERTAIN_DEAD_LETTERS = 10_000;
/**
 * How long after the client sent a pull request it may still be open on the server (ms) beyond its
 * PULL_EXPIRES_MS: nats-server times the request from when it received it, and its timer is coarse.
 */
const PULL_END_MARGIN_MS = 1_000;
/**
 * How long stop() waits for nats-server to answer a PING before it stops waiting on the server (ms):
 * then the open pull request is closed, and background work and the final flush share this long once
 * more. Running handlers are still awaited (up to stopTimeoutMs).
 */
const SERVER_ANSWER_MS = 1_000;
/** How often a stopping worker checks whether its open pull request has ended, to put a last delivery back (ms). */
const PULL_END_POLL_MS = 100;

/** A dead letter the feed wrote (one per record: a repeated write of the same record is not reported). */
export interface DeadLetterNotice {
  /** `invalid` (undecodable/invalid event), `rejected` (the handler said so), `retries-exhausted`, `max-deliver`. */
  readonly kind: DeadLetterKind;
  /** The event's order id, or the best guess from its JSON; absent when there is none. */
  readonly orderId?: string;
  /** Why, in words (the Synclag-Dead-Letter-Reason header of the record). */
  readonly reason: string;
  /** Orders stream, subject and sequence of the original message. */
  readonly stream: string;
  readonly subject: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  /** Sequence of the record in the dead-letter stream. */
  readonly deadLetterSequence: number;
}

export interface JetStreamOrderFeedOptions extends JetStreamFeedOptions {
  readonly connection: NatsConnection;
  /** Handlers running at once per subscription. Default 16. */
  readonly maxConcurrentHandlers?: number;
  /** Delay before retrying a delivery whose handler threw (ms), doubled per delivery, capped at 60 000. Default 1 000. */
  readonly failureRetryDelayMs?: number;
  /** Longest stop() waits for in-flight handlers (ms); the rest are redelivered after their ack wait. Default 30 000. */
  readonly stopTimeoutMs?: number;
  /** How often a run of pulls the server turns away for max_waiting is reported again while it lasts (ms). Default 60 000. */
  readonly backpressureReportIntervalMs?: number;
  /** Timeout of the feed's own JetStream requests: dead-letter writes, message reads (ms). Default 5 000. */
  readonly apiTimeoutMs?: number;
  /** Counters `nats_feed_*_total`. Default: none. */
  readonly metrics?: Metrics;
  /**
   * Background failures (dead-letter writes, settles, handler throws, a lost stream or consumer, missed
   * heartbeats). Each is also counted as `nats_feed_errors_total{reason}`. Default: one line on stderr.
   */
  readonly onError?: (error: NatsFeedError) => void;
  /** Every dead letter the feed wrote (all kinds). Default: one line on stderr. */
  readonly onDeadLetter?: (notice: DeadLetterNotice) => void;
  /**
   * When the orders stream, the dead-letter stream or the durable consumer disappears while consuming
   * (deleted, or nats-server restarted without its storage), re-create the missing ones with the
   * provisioning settings and consume again. With false the feed reports and retries until someone
   * provisions them. Default true.
   */
  readonly recreateMissing?: boolean;
  /**
   * How often to look for stored messages the consumer will never deliver again — exhausted ones never
   * dead-lettered (the server gave up on them while the dead-letter write failed, or nobody received the
   * max-deliver advisory, e.g. during a restart), or acked ones nats-server restored after an unclean
   * restart — and run each once more through the handler: acked → deleted, refused or failed →
   * dead-lettered (ms). Also runs whenever consuming starts. Default 60 000.
   */
  readonly exhaustedSweepIntervalMs?: number;
}

export interface FeedStats {
  /** Messages received from the server (each delivery counts). */
  readonly delivered: number;
  readonly acked: number;
  /** Nak'd for a later redelivery (handler `retry` or a throw). */
  readonly retried: number;
  /** Dead-lettered and terminated (including max-deliver advisories handled by this subscription). */
  readonly deadLettered: number;
  /**
   * Handed back unprocessed (nak): received after stop() began (redelivered once the open pull request
   * has ended, see handBack), or held on a worker whose every handler slot was stuck for two ack waits
   * (see `held`; immediate redelivery).
   */
  readonly released: number;
  /** Handlers still running when their ack wait ran out: their slot was freed, the server redelivers. */
  readonly abandoned: number;
  readonly handlerErrors: number;
  readonly inFlight: number;
  /**
   * Received while every handler slot was busy, kept alive (+WPI) until a slot frees. At most the pull
   * batch size: the feed pulls only what it can start or hold, and leaves the rest to other workers.
   */
  readonly held: number;
  /** Dead-letter writes that failed and are retried (last deliveries kept alive, and advisory/sweep finds). */
  readonly deadLettersPending: number;
  /**
   * Messages the server gave up on that were dead-lettered (or settled by a sweep) but that the orders
   * stream refused to delete (deny_delete, sealed): each reported once as `delete-denied`, left stored.
   */
  readonly undeletable: number;
  /**
   * Last deliveries handed back while stopping that were put back in the orders stream as a new message
   * (a nak would have made the server give up on them; see ADR 0004, "Graceful stop").
   */
  readonly requeued: number;
}

const defaultOnError = (error: NatsFeedError): void => {
  console.error(`[nats-feed] ${error.name} (${error.reason}): ${error.message}`);
};

const defaultOnDeadLetter = (notice: DeadLetterNotice): void => {
  console.error(`[nats-feed] order ${notice.orderId ?? "(no order id)"} dead-lettered (${notice.kind}, ${notice.stream} #${notice.streamSequence}): ${notice.reason}`);
};

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new NatsFeedError("invalid-options", `${name} must be a positive integer, got ${value}`);
  return value;
}

interface SubscriptionSettings {
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  readonly feed: ResolvedFeedOptions;
  readonly maxConcurrentHandlers: number;
  readonly pullBatchSize: number;
  readonly failureRetryDelayMs: number;
  readonly stopTimeoutMs: number;
  readonly backpressureReportIntervalMs: number;
  readonly apiTimeoutMs: number;
  readonly metrics: Metrics;
  readonly onError: (error: NatsFeedError) => void;
  readonly onDeadLetter: (notice: DeadLetterNotice) => void;
  readonly recreateMissing: boolean;
  readonly exhaustedSweepIntervalMs: number;
}

/** OrderFeed on the durable consumer that `provisionStreams` created. Construct one per process. */
export class JetStreamOrderFeed implements OrderFeed {
  private readonly settings: SubscriptionSettings;
  /** Subscriptions not stopped yet (for consumerProblem). */
  private readonly subscriptions = new Set<JetStreamFeedSubscription>();

  constructor(options: JetStreamOrderFeedOptions) {
    const feed = resolveFeedOptions(options);
    this.settings = {
      connection: options.connection,
      js: jetstream(options.connection, { timeout: options.apiTimeoutMs ?? 5_000 }),
      feed,
      maxConcurrentHandlers: positive("maxConcurrentHandlers", options.maxConcurrentHandlers ?? 16),
      pullBatchSize: feed.pullBatchSize,
      failureRetryDelayMs: positive("failureRetryDelayMs", options.failureRetryDelayMs ?? 1_000),
      stopTimeoutMs: positive("stopTimeoutMs", options.stopTimeoutMs ?? 30_000),
      backpressureReportIntervalMs: positive("backpressureReportIntervalMs", options.backpressureReportIntervalMs ?? 60_000),
      apiTimeoutMs: positive("apiTimeoutMs", options.apiTimeoutMs ?? 5_000),
      metrics: options.metrics ?? noopMetrics,
      onError: options.onError ?? defaultOnError,
      onDeadLetter: options.onDeadLetter ?? defaultOnDeadLetter,
      recreateMissing: options.recreateMissing ?? true,
      exhaustedSweepIntervalMs: positive("exhaustedSweepIntervalMs", options.exhaustedSweepIntervalMs ?? 60_000),
    };
  }

  /** Starts pulling at once; `ready` on the result says when the first pull went out (or why not). */
  consume(handler: OrderHandler): JetStreamFeedSubscription {
    const subscription = new JetStreamFeedSubscription(this.settings, handler, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Why a running subscription cannot consume because of the durable consumer's settings (see
   * JetStreamFeedSubscription.consumerProblem), or undefined. For readiness probes.
   */
  consumerProblem(): NatsFeedError | undefined {
    for (const subscription of this.subscriptions) {
      const problem = subscription.consumerProblem;
      if (problem) return problem;
    }
    return undefined;
  }
}

type Settle = "ack" | "nak" | "term";

/** A dead-letter write that failed and is tried again (see MAX_DEAD_LETTER_RETRY_MS). */
interface PendingDeadLetter {
  /**
   * The last delivery, kept unsettled and alive (+WPI) until its record is written, then terminated.
   * Absent when the server already gave up on the message (advisory or sweep): then it is deleted.
   */
  readonly message: JsMsg | undefined;
  readonly ackWaitMs: number;
  deadlineMs: number;
  /** A max-deliver advisory arrived for it anyway (the keep-alive did not reach the server): delete after the write. */
  exhausted: boolean;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly attempt: (entry: PendingDeadLetter) => Promise<void>;
}

/** One delivery being handled: the DeliveryInfo the handler sees, and its bookkeeping. */
class Delivery implements DeliveryInfo {
  settled = false;
  /** The ack wait ran out while the handler was still running; its slot was freed. */
  abandoned = false;
  /** When the server will consider this delivery lost (epoch ms), pushed back by working(). */
  deadlineMs: number;

  constructor(
    private readonly owner: JetStreamFeedSubscription,
    readonly message: JsMsg,
    readonly deliveryCount: number,
    readonly ackWaitMs: number,
  ) {
    this.deadlineMs = Date.now() + ackWaitMs;
  }

  working(): void {
    if (this.settled) return;
    this.owner.progress(this);
  }
}

export class JetStreamFeedSubscription implements FeedSubscription {
  /** Resolves once pulling has started (or stop() was called first); rejects if it cannot start. */
  readonly ready: Promise<void>;
  private settleReady: { resolve: () => void; reject: (error: NatsFeedError) => void; done: boolean };
  private stopping = false;
  /** Resolves when stop() begins: waits that must not outlive the subscription race it. */
  private readonly stopRequested: Promise<void>;
  private requestStop: () => void = () => {};
  /** False between a "disconnect" and the next "reconnect" of the connection (see shutdown). */
  private connectedNow = true;
  private readonly statusWatch: AsyncIterable<{ readonly type: string }> & { stop?: () => void };
  private stopPromise: Promise<void> | undefined;
  private messages: ConsumerMessages | undefined;
  private readonly inFlight = new Set<Delivery>();
  /** Deliveries holding a handler slot (in flight and not abandoned). */
  private active = 0;
  /**
   * Received while every handler slot was busy, oldest first. They are kept here, not in the client's
   * buffer, so the sweeper can keep their ack wait alive (+WPI): a store outage holds every slot for as
   * long as it lasts, and messages left unacknowledged would be redelivered until max-deliver ran out
   * and then dead-lettered — valid orders lost to an outage. At most pullBatchSize: pulls ask only for
   * what fits (backpressure). Found by review: pulling on regardless held up to max_ack_pending orders
   * alive on a worker whose slots were all stuck, while a healthy worker on the same consumer idled.
   */
  private readonly waiting: Array<{ readonly message: JsMsg; readonly ackWaitMs: number; deadlineMs: number; readonly heldSinceMs: number }> = [];
  /** When a handler slot last freed (epoch ms): a worker with none freed for two ack waits is stuck. */
  private lastSlotFreedMs = Date.now();
  /** Held messages were handed back because every slot is stuck: hold nothing more until a slot frees. */
  private stalled = false;
  /**
   * Until when the last pull request may still be open on the server (epoch ms; 0 once the server
   * ended it). A nak while stopping is delayed past it (see handBack).
   */
  private pullOpenUntilMs = 0;
  /** The pull request the feed closed itself (interrupt, stop): the server may still hold it open. */
  private pullClosedEarly: ConsumerMessages | undefined;
  /**
   * Last deliveries this subscription handed back while stopping but could not put back in the stream
   * (see requeue): nak'd, so the server gives up on them; this subscription ignores their max-deliver
   * advisory, leaving them stored for an exhausted-message sweep, which runs them through the handler.
   */
  private readonly handedBackAtStop = new Set<number>();
  /** Copies of last deliveries being put back in the stream while stopping (see requeue). */
  private readonly requeues = new Set<Promise<void>>();
  /** Resolves the wait for room to pull (a slot freed, held messages handed back, stop). */
  private wakeRoom: (() => void) | undefined;
  private wakePause: (() => void) | undefined;
  private wakeIdle: (() => void) | undefined;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Acks/naks/terms are sent together once per event-loop turn: one socket write, not one per message. */
  private pendingSettles: { message: JsMsg; kind: Settle; delayMs: number }[] = [];
  private settleFlush: ReturnType<typeof setImmediate> | undefined;
  private readonly loop: Promise<void>;
  private advisory: Subscription | undefined;
  private readonly advisoryWork = new Set<Promise<void>>();
  private manager: Promise<JetStreamManager> | undefined;
  /**
   * Why the current pull was ended from inside (a headers-only delivery): run() throws it once the pull
   * has ended, and consumes again after a pause. Messages still arriving meanwhile are handed back.
   */
  private interruption: NatsFeedError | undefined;
  /** A heartbeats-missed episode was reported; cleared by the next message or pull request the server ends. */
  private heartbeatsMissed = false;
  /** Pulls nats-server turned away for now in a row (back-pressure); reset by a pull it serves. */
  private refusedPulls = 0;
  /** When the current run of refused pulls began, and when it was last reported. */
  private refusedSinceMs = 0;
  private refusalReportedAtMs = 0;
  /** The consumer's settings keep this subscription from consuming: set by run(), cleared by a served pull. */
  private incompatible: NatsFeedError | undefined;
  /** Background re-creation of a missing dead-letter stream: running, and when it last started. */
  private recreating = false;
  private lastRecreateMs = 0;
  /** Taken from the server's consumer config when pulling starts (the options are only the default). */
  private maxDeliver: number;
  private ackWaits: { ackWaitMs: number; backoffMs: readonly number[] };
  /** Failed dead-letter writes being retried, by stream sequence (at most MAX_PENDING_DEAD_LETTERS). */
  private readonly pendingDeadLetters = new Map<number, PendingDeadLetter>();
  private exhaustedSweeper: ReturnType<typeof setInterval> | undefined;
  private sweepingExhausted = false;
  private readonly counts = { delivered: 0, acked: 0, retried: 0, deadLettered: 0, released: 0, abandoned: 0, handlerErrors: 0, undeletable: 0, requeued: 0 };
  /**
   * Sequences the orders stream refused to delete (deny_delete, sealed): reported once, never tried again
   * by this subscription, skipped by its exhausted-message sweeps (insertion order = age, bounded).
   */
  private readonly undeletable = new Set<number>();
  /**
   * Dead-letter records (by record id) whose write by this subscription failed in a way that may have
   * stored them (see mayHaveBeenStored), with the kind and reason of that first attempt: a later write
   * answered `duplicate` is then this subscription's own, counted and reported (see recordDeadLetter).
   * Insertion order = age, bounded.
   */
  private readonly uncertainDeadLetters = new Map<string, { readonly kind: DeadLetterKind; readonly reason: string }>();

  constructor(
    private readonly settings: SubscriptionSettings,
    private readonly handler: OrderHandler,
    /** Called once stop() begins. */
    private readonly onStopping: () => void = () => {},
  ) {
    this.maxDeliver = settings.feed.maxDeliver;
    this.ackWaits = { ackWaitMs: settings.feed.ackWaitMs, backoffMs: settings.feed.backoffMs };
    let resolve!: () => void;
    let reject!: (error: NatsFeedError) => void;
    this.ready = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.ready.catch(() => {}); // reported through onError too; callers may not await `ready`
    this.settleReady = { resolve, reject, done: false };
    this.stopRequested = new Promise<void>((resolve) => {
      this.requestStop = resolve;
    });
    const statusWatch = settings.connection.status();
    this.statusWatch = statusWatch;
    void (async () => {
      for await (const status of statusWatch) {
        if (status.type === "disconnect") this.connectedNow = false;
        else if (status.type === "reconnect") this.connectedNow = true;
      }
    })().catch(() => undefined);
    this.loop = this.run();
  }

  stats(): FeedStats {
    return { ...this.counts, inFlight: this.inFlight.size, held: this.waiting.length, deadLettersPending: this.pendingDeadLetters.size };
  }

  /**
   * While the durable consumer's settings keep this subscription from consuming (headers_only, a
   * max_batch or max_expires below the feed's pulls — reason `incompatible-consumer`): why. Cleared
   * once nats-server serves a pull again (the consumer was fixed: the feed checks again every few
   * seconds). `ready` settles once; this follows the consumer, e.g. for a readiness probe.
   */
  get consumerProblem(): NatsFeedError | undefined {
    return this.stopping ? undefined : this.incompatible;
  }

  /**
   * Stops pulling; messages already received but not started are handed back (nak), and so is whatever
   * still arrives for the open pull request (it ends within PULL_EXPIRES_MS) — each redelivered once
   * that request has ended (see handBack), so a stop costs an order one delivery — one on its last
   * delivery is put back in the stream as a new message instead (see requeue); waits for running
   * handlers to settle (bounded by stopTimeoutMs; a `retry` they return is handed back the same way);
   * stops the advisory listener; flushes acks to the server. A server that does not answer a ping
   * within SERVER_ANSWER_MS (frozen) is not waited for beyond that: neither the open pull request nor
   * the final flush. The connection belongs to the caller: drain it after.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.requestStop();
    this.onStopping();
    const deadline = Date.now() + this.settings.stopTimeoutMs;
    this.wakePause?.();
    this.wakeRoomToPull();
    // The open pull request is not closed: closing unsubscribes at once, and what the server had
    // already sent for it was dropped in transit — those orders waited out their ack wait (30 s+)
    // before anyone got them (found by review). Instead no new pull is made and everything that still
    // arrives is handed back, until the request ends by itself (batch filled, or PULL_EXPIRES_MS).
    // Unsubscribing first and waiting one round trip is not enough: on nats-server 2.9.10 an order
    // was still stranded in one of four runs of the review's stop test (3 000 streaming in) — a
    // delivery already on its way inside the server when the unsubscribe arrived.
    // Only while the server can still answer: a fetch has no client-side timer, and with the connection
    // lost (nats-server killed, a partition) it never ends — nothing can be in transit then, so it is
    // closed at once. Connected, it ends within PULL_EXPIRES_MS; never waited for much longer.
    // Connected but frozen (SIGSTOP, a dead link the OS has not noticed) it never ends either, and nothing
    // it sent is on its way: a PING it does not answer within SERVER_ANSWER_MS ends that wait (found by
    // review: stop() with nothing in flight took its whole stopTimeoutMs, 7.5 s measured).
    const connected = !this.settings.connection.isClosed() && this.connectedNow;
    const server = connected ? this.probeServer() : { answered: () => false, silent: Promise.resolve() };
    const pullEnded = connected ? await waitUntil(this.loop, Math.min(deadline, Date.now() + PULL_EXPIRES_MS + PULL_END_MARGIN_MS), server.silent) : false;
    if (!pullEnded) this.closePull(this.messages);
    this.statusWatch.stop?.();
    let finished = pullEnded || !connected; // disconnected, nothing was in transit to strand
    this.releaseWaiting();
    const idle =
      this.inFlight.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.wakeIdle = resolve;
          });
    finished = (await waitUntil(idle, deadline)) && finished;
    if (this.exhaustedSweeper !== undefined) clearInterval(this.exhaustedSweeper);
    this.advisory?.unsubscribe();
    // What is left waits on the server only: background work (sweeps, advisories, dead-letter retries,
    // putting last deliveries back — each leaves its message stored when cut short) and the final flush
    // (the acks are written to the socket either way; it only waits for the server to confirm them). A
    // server that has not answered the PING gets SERVER_ANSWER_MS for all of it, not what is left of the
    // deadline (its API requests would each run into apiTimeoutMs).
    const serverWaitEnd = connected && !server.answered() ? Math.min(deadline, Date.now() + SERVER_ANSWER_MS) : deadline;
    finished = (await waitUntil(Promise.allSettled([...this.advisoryWork, ...this.requeues]), serverWaitEnd)) && finished;
    this.handBackPendingDeadLetters();
    this.flushSettles();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    let flushed = true;
    if (!this.settings.connection.isClosed()) flushed = await waitUntil(this.settings.connection.flush().catch(() => {}), serverWaitEnd);
    this.markReady();
    if (connected && !server.answered()) {
      this.report(
        new NatsFeedError(
          "timeout",
          `stop(): nats-server did not answer a ping within ${SERVER_ANSWER_MS} ms (frozen or unreachable): the open pull request was closed without waiting for its end, and the acks, naks and terms sent while stopping may not have reached it${flushed ? "" : " (not confirmed)"}; what it did not get is redelivered after its ack wait${this.inFlight.size > 0 ? `; ${this.inFlight.size} handler(s) still running` : ""}`,
        ),
      );
    } else if (!finished) {
      const pull = pullEnded || !connected ? "" : " and the last pull request still open (what was in transit for it is redelivered after its ack wait)";
      this.report(
        new NatsFeedError(
          "timeout",
          `stop() gave up after ${this.settings.stopTimeoutMs} ms with ${this.inFlight.size} handler(s) still running${pull}; their orders are redelivered after the ack wait`,
        ),
      );
    }
  }

  /**
   * Sends a PING when stop() begins: `silent` resolves if no PONG came within SERVER_ANSWER_MS (it never
   * resolves once one came); `answered()` says whether one came (so far).
   */
  private probeServer(): { readonly answered: () => boolean; readonly silent: Promise<void> } {
    let answered = false;
    const pong = this.settings.connection.flush().then(
      () => {
        answered = true;
      },
      () => {},
    );
    const silent = waitUntil(pong, Date.now() + SERVER_ANSWER_MS).then((inTime) => (inTime && answered ? new Promise<void>(() => {}) : undefined));
    return { answered: () => answered, silent };
  }

  private markReady(): void {
    if (this.settleReady.done) return;
    this.settleReady.done = true;
    this.settleReady.resolve();
  }

  private failReady(error: NatsFeedError): void {
    if (this.settleReady.done) return;
    this.settleReady.done = true;
    this.settleReady.reject(error);
  }

  private report(error: NatsFeedError): void {
    this.settings.metrics.increment("nats_feed_errors_total", { reason: error.reason });
    try {
      this.settings.onError(error);
    } catch {
      // an error reporter that throws must not take the worker down
    }
  }

  private async run(): Promise<void> {
    const { feed, js } = this.settings;
    const what = `${feed.streamName}/${feed.consumerName}`;
    /** The stream or consumer went missing after consuming had started: re-create before the next attempt. */
    let lost = false;
    let consumingSince: number | undefined;
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        if (lost && this.settings.recreateMissing) await this.recreateMissing();
        const consumer = await js.consumers.get(feed.streamName, feed.consumerName);
        const config = (await consumer.info(true)).config;
        this.checkReception(config, what);
        this.adoptServerConfig(config);
        this.listenForMaxDeliveries();
        if (this.stopping) break;
        await this.pullUntilStopped(consumer, what, () => {
          this.markReady();
          this.startExhaustedSweeps();
          consumingSince = Date.now();
          lost = false;
        });
        break; // returns only once stop() began; a failure throws
      } catch (error) {
        if (this.stopping) break;
        let failure = toNatsFeedError(error, `consuming ${what}`);
        const missing = failure.reason === "consumer-not-found" || failure.reason === "stream-not-found";
        // A consumer that would deliver no order bodies, or refuses the feed's pulls: `ready` fails and
        // nothing is consumed (no order dead-lettered for it); checked again after each pause, so a
        // consumer fixed on the server (provisionStreams with onMismatch "update") is picked up.
        if (failure.reason === "incompatible-consumer") {
          this.incompatible = failure;
          this.failReady(failure);
        }
        if (failure.reason === "closed" || (missing && !this.settleReady.done)) {
          // Before the first pull a missing consumer means "not provisioned": the caller's mistake.
          this.report(failure);
          this.failReady(failure);
          return;
        }
        if (missing) {
          lost = true;
          const next = this.settings.recreateMissing
            ? "re-creating the missing stream(s)/consumer with the provisioning settings; messages still stored are consumed again"
            : "waiting for it to be provisioned again (recreateMissing is off)";
          failure = new NatsFeedError(failure.reason, `the order feed lost its ${failure.reason === "stream-not-found" ? "stream" : "consumer"} ${what} — ${failure.message}; ${next}`, {
            cause: failure,
          });
        }
        this.report(failure);
        // A consumer that is lost again right after each restart must not make this a tight loop.
        if (consumingSince !== undefined && Date.now() - consumingSince >= STABLE_CONSUMING_MS) attempt = 0;
        consumingSince = undefined;
        await this.pause(Math.min(250 * 2 ** attempt, MAX_RESTART_DELAY_MS));
      }
    }
    this.markReady();
  }

  /** Creates whichever of the streams and the consumer is missing (provisioning settings). */
  private async recreateMissing(): Promise<void> {
    const created = await recreateMissingResources(await this.jsm(), this.settings.feed);
    for (const label of created) this.settings.metrics.increment("nats_feed_recreated_total", { resource: label.split(" ")[0] ?? label });
  }

  /**
   * A dead letter could not be written because the dead-letter stream is missing: re-create it in the
   * background (at most once per MAX_RESTART_DELAY_MS); the message was nak'd and is dead-lettered on a
   * later delivery.
   */
  private deadLetterStreamMissing(failure: NatsFeedError): void {
    const cause = failure.cause;
    if (!this.settings.recreateMissing || !(cause instanceof NatsFeedError) || cause.reason !== "stream-not-found") return;
    const now = Date.now();
    if (this.recreating || now - this.lastRecreateMs < MAX_RESTART_DELAY_MS) return;
    this.lastRecreateMs = now;
    this.recreating = true;
    const work: Promise<void> = this.recreateMissing()
      .catch((error: unknown) => this.report(toNatsFeedError(error, `re-creating the dead-letter stream ${this.settings.feed.deadLetterStreamName}`)))
      .finally(() => {
        this.recreating = false;
        this.advisoryWork.delete(work);
      });
    this.advisoryWork.add(work);
  }

  /**
   * Pulls one fetch at a time, each asking only for what the worker can start or hold (backpressure:
   * orders it cannot take stay in the stream for other workers), until stop() — then it returns once
   * the open request has ended — or a failure, which it throws. A fetch rather than nats.js's consume():
   * consume() keeps pulling whatever the handlers do, and its close() drops messages in transit.
   * `started` runs once the first pull request is made.
   */
  private async pullUntilStopped(consumer: Consumer, what: string, started: () => void): Promise<void> {
    const { connection } = this.settings;
    this.interruption = undefined;
    this.heartbeatsMissed = false;
    this.refusedPulls = 0;
    let first = true;
    for (;;) {
      const batch = await this.roomToPull();
      if (this.stopping) return;
      if (this.interruption) throw this.interruption;
      this.pullOpenUntilMs = Date.now() + PULL_EXPIRES_MS + PULL_END_MARGIN_MS;
      const messages = await consumer.fetch({ max_messages: batch, expires: PULL_EXPIRES_MS });
      this.messages = messages;
      if (first) {
        first = false;
        started();
      }
      let served = false;
      try {
        for await (const message of messages) this.receive(message);
        this.heartbeatsMissed = false; // the server ended the request itself: it answers
        served = true;
        // Ended by the server (batch filled or expired): nothing more comes for it. One the feed closed
        // itself may still be open there until it expires.
        if (this.pullClosedEarly !== messages) this.pullOpenUntilMs = 0;
      } catch (error) {
        if (this.stopping) return;
        await this.pullFailed(consumer, error, what);
      }
      if (this.interruption) throw this.interruption;
      if (served) {
        // The server took the pull and ended it itself: it is not turning pulls away, and the consumer
        // is usable again (not merely passing the feed's check of its config).
        this.refusedPulls = 0;
        this.incompatible = undefined;
      }
      if (connection.isClosed() || connection.isDraining()) throw new NatsFeedError("closed", "the NATS connection was closed under the order feed");
    }
  }

  private receive(message: JsMsg): void {
    this.heartbeatsMissed = false;
    if (this.stopping || this.interruption) this.release(message);
    else if (this.active < this.settings.maxConcurrentHandlers) this.start(message);
    else this.hold(message);
  }

  /**
   * Messages the next pull may ask for: free handler slots plus room to hold pullBatchSize (none while
   * stalled), at most pullBatchSize.
   */
  private pullRoom(): number {
    const { maxConcurrentHandlers, pullBatchSize } = this.settings;
    const holding = this.stalled ? 0 : pullBatchSize;
    return Math.min(pullBatchSize, maxConcurrentHandlers + holding - this.active - this.waiting.length);
  }

  /**
   * Waits until a pull is worth making and returns its batch (0 once stopping or interrupted). With
   * messages held, it waits for room for a quarter batch, so a saturated worker does not pull one
   * message per freed slot.
   */
  private async roomToPull(): Promise<number> {
    for (;;) {
      if (this.stopping || this.interruption) return 0;
      const room = this.pullRoom();
      const least = this.waiting.length > 0 ? Math.max(1, Math.floor(this.settings.pullBatchSize / 4)) : 1;
      if (room >= least) return room;
      await new Promise<void>((resolve) => {
        this.wakeRoom = resolve;
      });
    }
  }

  private wakeRoomToPull(): void {
    const wake = this.wakeRoom;
    this.wakeRoom = undefined;
    wake?.();
  }

  /**
   * A fetch ended with an error. nats.js words a deleted consumer or stream, or a server that stopped
   * answering, all as "heartbeats missed" (reported once per episode): the server is asked which it is.
   * Returns when pulling again is right; throws otherwise (run() reports it and pauses).
   */
  private async pullFailed(consumer: Consumer, error: unknown, what: string): Promise<void> {
    const refusal = classifyPullRefusal(error);
    if (refusal === "incompatible") {
      // nats-server refuses every later pull the same way. Say which field to fix when the consumer's
      // config shows it (run() checks again before each new attempt).
      const config = await consumer.info().then(
        (info) => info.config,
        () => undefined,
      );
      if (config) this.checkReception(config, what);
      throw new NatsFeedError("incompatible-consumer", `consuming ${what}: nats-server refused a pull request (${(error as Error).message}); the consumer's limits do not allow the feed's pulls`, {
        cause: error,
      });
    }
    if (refusal === "backpressure") {
      await this.pullTurnedAway(error as Error, what);
      return;
    }
    const failure = toNatsFeedError(error, `consuming ${what}`);
    if (failure.reason === "consumer-not-found" || failure.reason === "stream-not-found" || failure.reason === "closed") throw failure;
    const heartbeats = /heartbeats missed/i.test(failure.message);
    if (heartbeats && !this.heartbeatsMissed) {
      this.heartbeatsMissed = true;
      this.report(new NatsFeedError("heartbeats-missed", `consuming ${what}: idle heartbeats from nats-server missed while connected; checking that the stream and consumer still exist`));
    }
    try {
      await consumer.info();
    } catch (probe) {
      throw toNatsFeedError(probe, `consuming ${what}: checking the consumer after "${failure.message}"`);
    }
    if (!heartbeats) throw failure;
  }

  /**
   * nats-server turned the pull away for now (see classifyPullRefusal). It took the pull's shape, so
   * the consumer's settings do not keep the feed from consuming: any earlier consumer problem is gone
   * (a readiness probe must not keep naming a field already fixed). It answers such a pull at once, so
   * pulling again straight away would be a hot loop against the server: the pause doubles per refusal
   * in a row. Reported at the first refusal of an episode and again every backpressureReportIntervalMs it goes on — a worker
   * that keeps losing the race for max_waiting gets no orders, and that must not stay silent.
   */
  private async pullTurnedAway(error: Error, what: string): Promise<void> {
    this.incompatible = undefined;
    this.refusedPulls++;
    const now = Date.now();
    if (this.refusedPulls === 1) this.refusedSinceMs = now;
    if (this.refusedPulls === 1 || now - this.refusalReportedAtMs >= this.settings.backpressureReportIntervalMs) {
      this.refusalReportedAtMs = now;
      const since = this.refusedPulls === 1 ? "" : `; no pull served for ${Math.round((now - this.refusedSinceMs) / 1000)} s (${this.refusedPulls} refused): this worker gets no orders while the others hold every waiting slot — raise the consumer's max_waiting`;
      this.report(
        new NatsFeedError(
          "pull-backpressure",
          `consuming ${what}: nats-server turned a pull request away for now (${error.message}): the consumer already holds as many waiting pull requests as it allows (other workers'); pulling again with backoff${since}`,
          { cause: error },
        ),
      );
    }
    await this.pause(Math.min(250 * 2 ** Math.min(this.refusedPulls - 1, 16), MAX_RESTART_DELAY_MS));
  }

  /** Ends the current pull; run() reports `error` and consumes again after a pause. */
  private interrupt(messages: ConsumerMessages | undefined, error: NatsFeedError): void {
    if (this.interruption || this.messages !== messages) return;
    this.interruption = error;
    this.closePull(messages);
    this.wakeRoomToPull();
  }

  /** Closes a pull request before the server ends it (it may stay open there until it expires). */
  private closePull(messages: ConsumerMessages | undefined): void {
    if (messages === undefined) return;
    this.pullClosedEarly = messages;
    void messages.close();
  }

  /** Throws `incompatible-consumer` when the consumer would not deliver what the feed needs. */
  private checkReception(config: ConsumerConfig, what: string): void {
    const problems = diffConsumerReception(config, pullRequirements(this.settings.feed));
    if (problems.length === 0) return;
    throw new NatsFeedError(
      "incompatible-consumer",
      `${describeMismatches(`consumer ${what}`, problems)}\nNothing is consumed until it is fixed (checked again every few seconds).`,
    );
  }

  private adoptServerConfig(config: ConsumerConfig): void {
    if (typeof config.max_deliver === "number") this.maxDeliver = config.max_deliver;
    const backoff = config.backoff ?? [];
    const first = backoff[0];
    if (first !== undefined) this.ackWaits = { ackWaitMs: millis(first), backoffMs: backoff.slice(1).map((ns) => millis(ns)) };
    else if (typeof config.ack_wait === "number") this.ackWaits = { ackWaitMs: millis(config.ack_wait), backoffMs: [] };
  }

  private pause(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakePause = done;
    });
  }

  /** Keeps a message until a slot frees (see `waiting`). */
  private hold(message: JsMsg): void {
    const ackWaitMs = ackWaitForDelivery(this.ackWaits, message.info.deliveryCount);
    const now = Date.now();
    this.waiting.push({ message, ackWaitMs, deadlineMs: now + ackWaitMs, heldSinceMs: now });
    this.ensureSweeper();
  }

  private freeSlot(): void {
    this.active--;
    this.lastSlotFreedMs = Date.now();
    this.stalled = false;
    while (this.active < this.settings.maxConcurrentHandlers && this.waiting.length > 0) {
      const next = this.waiting.shift() as { message: JsMsg };
      if (this.stopping) this.release(next.message);
      else {
        // The server's ack-wait timer was last reset by the sweeper's +WPI, up to half an ack wait ago;
        // start() counts a fresh ack wait from now, so reset the server's too (or it redelivers early).
        this.send(next.message, "working", (m) => m.working());
        this.start(next.message);
      }
    }
    this.wakeRoomToPull();
  }

  /** Hands back every held message (stopping): plain nak, redelivered at once elsewhere. */
  private releaseWaiting(): void {
    for (const held of this.waiting.splice(0)) this.release(held.message);
  }

  /** Hands a message back unprocessed: plain nak = immediate redelivery (also with a backoff schedule), see handBack. */
  private release(message: JsMsg): void {
    this.counts.released++;
    this.handBack(message, 0);
  }

  /**
   * Naks a delivery for a redelivery after `delayMs`. While stopping, two things are different (found
   * by review: a graceful stop during a Redis outage dead-lettered valid orders). (1) Until the open pull
   * request has ended — stop() lets it end by itself rather than drop what is in transit — the server
   * would redeliver the message straight into it, the stopping feed would hand it back again, and so on:
   * a delivery each time until max-deliver ran out, in milliseconds. So the redelivery is delayed past
   * the request's end (at most PULL_EXPIRES_MS + PULL_END_MARGIN_MS); a stop then costs an order one
   * delivery. (2) On its last delivery there is no redelivery: the stop, not the order, used up its
   * deliveries, so it is put back in the stream as a new message (see requeue).
   */
  private handBack(message: JsMsg, delayMs: number): void {
    if (!this.stopping) {
      this.queueSettle(message, "nak", delayMs);
      return;
    }
    if (this.maxDeliver > 0 && message.info.deliveryCount >= this.maxDeliver) {
      this.requeue(message);
      return;
    }
    const pullOpenMs = this.pullOpenUntilMs - Date.now();
    this.queueSettle(message, "nak", Math.max(delayMs, pullOpenMs > 0 ? Math.ceil(pullOpenMs) : 0));
  }

  /**
   * Hands back a last delivery while stopping. A nak cannot: the server gives up on the order and says so
   * in a max-deliver advisory — at once to a running worker, or (the open pull request over) only when
   * the next worker pulls — and whoever gets it cannot tell a stop's hand-back from a worker that died on
   * the order, so it dead-lettered a valid order as `max-deliver` (found by review: a Redis call hanging
   * through the stop returned its `retry` after the pull had ended; with several workers any stop could
   * do it). Instead the order is published again to the orders stream — same subject, bytes and headers
   * but JetStream's, a record id of its own (`requeueMessageId`, so a retried publish is stored once) and
   * `Synclag-Requeued-From` — and the delivery acked once the copy is stored: the copy starts with all
   * its deliveries, for whichever worker pulls next. Published only once this worker's open pull request
   * has ended (the delivery kept alive meanwhile): delivered into it, the copy would be handed back too —
   * a delivery spent, and with max deliver 1 put back again, and again, until the request ended. If the
   * copy cannot be stored (stream full, the server gone), the delivery is nak'd as before and the order
   * may be dead-lettered as `max-deliver` (reported; after a timeout the copy may be stored all the same,
   * and then the order is handled from it too). stop() waits for it (bounded by stopTimeoutMs).
   */
  private requeue(message: JsMsg): void {
    const { streamName } = this.settings.feed;
    const work: Promise<void> = this.afterPullEnded(message)
      .then(() => this.publishCopy(message))
      .then(
        () => {
          this.counts.requeued++;
          this.settings.metrics.increment("nats_feed_requeued_total");
          this.queueSettle(message, "ack", 0);
        },
        (error: unknown) => {
          const cause = toNatsFeedError(error, `putting ${streamName} #${message.seq} back in the stream`);
          this.report(
            new NatsFeedError(
              cause.reason,
              `${cause.message}: handed back by stop() on its last delivery (${message.info.deliveryCount} of ${this.maxDeliver}) and not put back; nak'd instead — nats-server gives up on it, and a worker may dead-letter it as max-deliver`,
              { cause },
            ),
          );
          // This subscription ignores its advisory (see onMaxDeliveries); another worker cannot tell.
          this.handedBackAtStop.add(message.seq);
          this.queueSettle(message, "nak", 0);
        },
      )
      .finally(() => this.requeues.delete(work));
    this.requeues.add(work);
  }

  /** Resolves once no pull request of this worker may be open on the server (see pullOpenUntilMs), keeping `message` alive (+WPI). */
  private async afterPullEnded(message: JsMsg): Promise<void> {
    const ackWaitMs = ackWaitForDelivery(this.ackWaits, message.info.deliveryCount);
    let aliveUntilMs = 0;
    while (this.pullOpenUntilMs > Date.now()) {
      if (Date.now() >= aliveUntilMs) {
        this.send(message, "working", (m) => m.working());
        aliveUntilMs = Date.now() + ackWaitMs / 2;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(PULL_END_POLL_MS, Math.max(1, this.pullOpenUntilMs - Date.now()))));
    }
  }

  /** Publishes the copy of `message` that requeue() puts back (throws when it is not stored). */
  private async publishCopy(message: JsMsg): Promise<void> {
    // A body-less delivery (a headers-only consumer) would store an empty order: never copied.
    const { streamName } = this.settings.feed;
    if (message.data.byteLength === 0) throw new NatsFeedError("unexpected", `${streamName} #${message.seq} was delivered without a body: not copied`);
    const copy = createHeaders();
    // JetStream's own headers first (nats-server 2.9 reads a header at its first occurrence, see dead-letter.ts).
    copy.set("Nats-Msg-Id", requeueMessageId(streamName, message.seq, message.timestampNanos));
    copy.set("Nats-Expected-Stream", streamName);
    copy.set(REQUEUED_FROM_HEADER, `${streamName} #${message.seq} (delivery ${message.info.deliveryCount}, handed back by a stop)`);
    // The producer's own headers, not JetStream's (its Nats-Msg-Id, expectations, rollups, a consumer's
    // Nats-Msg-Size): unreadable ones (names nats.js refuses) are left out, the order is in the bytes.
    const { headers } = readOriginalHeaders(() => message.headers);
    for (const name of headers?.keys() ?? []) {
      if (/^nats-/i.test(name) || name.toLowerCase() === REQUEUED_FROM_HEADER.toLowerCase()) continue;
      for (const value of headers?.values(name) ?? []) copy.append(name, value);
    }
    await this.settings.js.publish(message.subject, message.data, { headers: copy, timeout: this.settings.apiTimeoutMs });
  }

  private start(message: JsMsg): void {
    const deliveryCount = message.info.deliveryCount;
    const delivery = new Delivery(this, message, deliveryCount, ackWaitForDelivery(this.ackWaits, deliveryCount));
    this.active++;
    this.counts.delivered++;
    this.settings.metrics.increment("nats_feed_deliveries_total");
    this.inFlight.add(delivery);
    this.ensureSweeper();
    this.process(delivery).then(
      () => this.finish(delivery),
      (error: unknown) => {
        this.report(toNatsFeedError(error, `processing ${this.settings.feed.streamName} #${message.seq}`));
        this.finish(delivery);
      },
    );
  }

  private finish(delivery: Delivery): void {
    delivery.settled = true;
    this.inFlight.delete(delivery);
    if (!delivery.abandoned) this.freeSlot();
    if (this.inFlight.size === 0) this.wakeIdle?.();
  }

  /** @internal Called by DeliveryInfo.working(): +WPI to the server, and a new local deadline. */
  progress(delivery: Delivery): void {
    this.send(delivery.message, "working", (m) => m.working());
    delivery.deadlineMs = Date.now() + delivery.ackWaitMs;
  }

  /**
   * The server redelivers once a delivery's ack wait passes; from then on a still-running handler must
   * not hold one of the worker's slots, or a few hung handlers would stall the worker. One interval
   * checks every in-flight delivery (cheaper than a timer per message).
   */
  private ensureSweeper(): void {
    if (this.sweeper !== undefined) return;
    const everyMs = Math.min(1_000, Math.max(50, Math.floor(this.ackWaits.ackWaitMs / 4)));
    this.sweeper = setInterval(() => {
      if (this.inFlight.size === 0 && this.waiting.length === 0 && this.pendingDeadLetters.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
        return;
      }
      const now = Date.now();
      // Held messages: +WPI once half their ack wait has passed, so the server does not redeliver them.
      for (const held of this.waiting) {
        if (now < held.deadlineMs - held.ackWaitMs / 2) continue;
        this.send(held.message, "working", (m) => m.working());
        held.deadlineMs = now + held.ackWaitMs;
      }
      this.handBackFromStuckSlots(now);
      // Last deliveries whose dead-letter write is being retried: the same keep-alive.
      for (const pending of this.pendingDeadLetters.values()) {
        if (pending.message === undefined || now < pending.deadlineMs - pending.ackWaitMs / 2) continue;
        this.send(pending.message, "working", (m) => m.working());
        pending.deadlineMs = now + pending.ackWaitMs;
      }
      for (const delivery of this.inFlight) {
        if (delivery.abandoned || now < delivery.deadlineMs) continue;
        delivery.abandoned = true;
        this.counts.abandoned++;
        this.settings.metrics.increment("nats_feed_abandoned_total");
        this.freeSlot();
      }
    }, everyMs);
    this.sweeper.unref?.();
  }

  /**
   * A worker whose every slot has been taken for two ack waits is stuck (a store outage, a hung
   * dependency), not merely busy: its held messages are handed back (plain nak) and it pulls nothing to
   * hold until a slot frees, so another worker on the consumer gets them — or, with none, they wait in
   * the stream, costing no delivery, until this one has room again. Only first deliveries: a hand-back
   * costs an order one delivery, at most once, so an outage can never use up its max-deliver this way.
   */
  private handBackFromStuckSlots(now: number): void {
    if (this.stopping || this.waiting.length === 0 || this.active < this.settings.maxConcurrentHandlers) return;
    let handedBack = 0;
    for (let index = this.waiting.length - 1; index >= 0; index--) {
      const held = this.waiting[index] as (typeof this.waiting)[number];
      if (held.message.info.deliveryCount > 1 || now - Math.max(held.heldSinceMs, this.lastSlotFreedMs) < 2 * held.ackWaitMs) continue;
      this.waiting.splice(index, 1);
      this.release(held.message);
      handedBack++;
    }
    if (handedBack > 0) this.stalled = true;
  }

  private async process(delivery: Delivery): Promise<void> {
    const { message } = delivery;
    if (message.data.byteLength === 0 && (await this.handedBackWithoutBody(message))) return;
    const decoded = decodeOrderEvent(message.data);
    if (!decoded.ok) {
      await this.deadLetter(message, "invalid", `invalid order event: ${formatProblems(decoded.problems)}`, orderIdHint(message.data));
      return;
    }
    const event = decoded.event;
    let disposition: Disposition;
    try {
      disposition = await this.handler(event, delivery);
    } catch (error) {
      disposition = this.handlerFailed(event, delivery.deliveryCount, error);
    }
    await this.settle(message, event, delivery.deliveryCount, disposition);
  }

  /**
   * An empty body with a `Nats-Msg-Size` header is what a headers-only consumer delivers: the order is
   * stored whole, the feed just did not receive it. Dead-lettering it recorded 0 bytes and deleted the
   * order (found by review: every order lost that way). So it is handed back and consuming stops until
   * the consumer is fixed — after asking the server, since a producer may set that header itself (then
   * the empty body is real and dead-lettered as usual). True when the message was handed back.
   */
  private async handedBackWithoutBody(message: JsMsg): Promise<boolean> {
    const sizeHeader = readOriginalHeaders(() => message.headers).headers?.get("Nats-Msg-Size") ?? "";
    const size = sizeHeader === "" ? 0 : Number(sizeHeader);
    if (!(size > 0)) return false;
    const { streamName, consumerName } = this.settings.feed;
    if (this.interruption === undefined) {
      let headersOnly: boolean;
      try {
        headersOnly = (await (await this.jsm()).consumers.info(streamName, consumerName)).config.headers_only === true;
      } catch (error) {
        // Cannot tell: never dead-letter an order on a guess. Handed back, decided on a later delivery.
        this.report(toNatsFeedError(error, `reading consumer ${streamName}/${consumerName} for ${streamName} #${message.seq}, delivered without its body`));
        this.counts.retried++;
        this.handBack(message, this.failureDelay(message.info.deliveryCount));
        return true;
      }
      if (!headersOnly) return false;
      const error = new NatsFeedError(
        "incompatible-consumer",
        `consumer ${streamName}/${consumerName} delivered ${streamName} #${message.seq} without its body (headers_only: true, Nats-Msg-Size ${size}): handed back, not dead-lettered; nothing is consumed until the consumer is fixed (provisionStreams({ onMismatch: "update" }) clears headers_only)`,
      );
      this.interrupt(this.messages, error);
    }
    this.release(message);
    return true;
  }

  private handlerFailed(event: OrderEvent, deliveryCount: number, error: unknown): Disposition {
    this.counts.handlerErrors++;
    const text = error instanceof Error ? error.message : String(error);
    this.report(new NatsFeedError("handler-failed", `handler threw on order ${JSON.stringify(event.orderId)} (delivery ${deliveryCount}): ${text}`, { cause: error }));
    return { kind: "retry", delayMs: this.failureDelay(deliveryCount), reason: `handler threw: ${text}` };
  }

  private failureDelay(deliveryCount: number): number {
    return Math.min(this.settings.failureRetryDelayMs * 2 ** Math.max(0, deliveryCount - 1), 60_000);
  }

  private async settle(message: JsMsg, event: OrderEvent, deliveryCount: number, disposition: Disposition): Promise<void> {
    switch (disposition?.kind) {
      case "ack":
        this.counts.acked++;
        this.settings.metrics.increment("nats_feed_acks_total");
        this.queueSettle(message, "ack", 0);
        return;
      case "retry": {
        // While stopping, a retry is most likely the stop itself (the engine's processor hands back an
        // order it is retrying against a down store): not a reason to give up on the order — on its last
        // delivery it is put back in the stream (handBack, requeue).
        if (this.maxDeliver > 0 && deliveryCount >= this.maxDeliver && !this.stopping) {
          await this.deadLetter(
            message,
            "retries-exhausted",
            `gave up after ${deliveryCount} deliveries (max deliver ${this.maxDeliver}); last retry reason: ${disposition.reason}`,
            event.orderId,
          );
          return;
        }
        const delayMs = Number.isFinite(disposition.delayMs) ? Math.max(0, Math.round(disposition.delayMs)) : 0;
        this.counts.retried++;
        this.settings.metrics.increment("nats_feed_retries_total");
        this.handBack(message, delayMs);
        return;
      }
      case "dead-letter":
        await this.deadLetter(message, "rejected", disposition.reason, event.orderId);
        return;
      default:
        // A handler outside the type system returned something else: treat like a throw.
        await this.settle(message, event, deliveryCount, this.handlerFailed(event, deliveryCount, new Error(`unknown disposition ${JSON.stringify(disposition)}`)));
    }
  }

  private async deadLetter(message: JsMsg, kind: DeadLetterKind, reason: string, orderId: string | undefined): Promise<void> {
    const deliveryCount = message.info.deliveryCount;
    try {
      await this.writeDeadLetterAndTerm(message, kind, reason, orderId);
    } catch (error) {
      // Not written: keep the message rather than lose it.
      const failure = toNatsFeedError(error, "dead-lettering");
      this.report(failure);
      this.deadLetterStreamMissing(failure);
      // On the last delivery a nak would end it: the server stops delivering, and the order would sit
      // in the stream, neither processed nor dead-lettered, until max_age. Keep it alive and retry.
      const lastDelivery = this.maxDeliver > 0 && deliveryCount >= this.maxDeliver;
      if (
        lastDelivery &&
        this.retryDeadLetter(message.seq, message, async (entry) => {
          await this.writeDeadLetterAndTerm(message, kind, reason, orderId);
          if (entry.exhausted) await this.deleteStored(message.seq, `its dead letter (${kind}) is written`);
        })
      ) {
        return;
      }
      // Before the last delivery (or stopping, or too many pending): retried on the next delivery; on
      // the last one the advisory path (another worker) or the exhausted sweep picks it up.
      this.counts.retried++;
      // A last delivery whose record could not be written is a dead letter still: the server gives up
      // on it and its max-deliver advisory writes the record (not handBack, which would put a stop's
      // last delivery back in the stream as a new order).
      if (lastDelivery) this.queueSettle(message, "nak", 0);
      else this.handBack(message, this.failureDelay(deliveryCount));
    }
  }

  /** Writes the dead letter (throws when not written), then terminates the delivery. */
  private async writeDeadLetterAndTerm(message: JsMsg, kind: DeadLetterKind, reason: string, orderId: string | undefined): Promise<void> {
    const original = {
      subject: message.subject,
      sequence: message.seq,
      timestampNanos: message.timestampNanos,
      deliveryCount: message.info.deliveryCount,
      data: message.data,
      ...(await this.originalHeaders(() => message.headers, message.seq)),
    };
    await this.recordDeadLetter(original, kind, reason, orderId);
    // Plain term: nats-server 2.9 does not understand a term reason (it would redeliver instead).
    this.queueSettle(message, "term", 0);
  }

  /**
   * The headers to copy into a dead letter. nats.js decodes them lazily and throws on a name it refuses
   * (a space, non-ASCII — a non-JS producer can store such a message): reading them unguarded made the
   * dead-letter write throw on every delivery, so the message was retried forever. Then the raw block
   * is fetched from the stream and kept whole instead.
   */
  private async originalHeaders(read: () => MsgHdrs | undefined, sequence: number): Promise<Pick<DeadLetterInput, "headers" | "unreadableHeaders">> {
    const { headers, error } = readOriginalHeaders(read);
    if (error === undefined) return headers === undefined ? {} : { headers };
    const raw = await readRawStoredHeaders(this.settings.connection, this.settings.feed.streamName, sequence, this.settings.apiTimeoutMs);
    return { unreadableHeaders: { error, raw } };
  }

  /**
   * Writes the dead letter of `original` (throws when not written); counts and reports it once per
   * record. A record the dead-letter stream already held (the handler's and the advisory's write of the
   * same message, another worker's) is one dead letter, not another: counted and reported by whoever
   * stored it — which includes this subscription when an earlier attempt of its own failed in a way that
   * may have stored it (no PubAck in time, the connection lost): found by review, such a dead letter was
   * counted and reported by nobody. Not exact across workers: an attempt that timed out here and the
   * record then stored by another worker in between is counted by both (far rarer than a lost PubAck).
   */
  private async recordDeadLetter(original: Omit<DeadLetterInput, "kind" | "reason" | "orderId">, kind: DeadLetterKind, reason: string, orderId: string | undefined): Promise<void> {
    const recordId = deadLetterMessageId(this.settings.feed.streamName, original.sequence, original.timestampNanos);
    let written: { readonly sequence: number; readonly duplicate: boolean };
    try {
      written = await writeDeadLetter(this.settings.js, this.settings.feed, { kind, reason, ...(orderId === undefined ? {} : { orderId }), ...original }, this.settings.apiTimeoutMs, recordId);
    } catch (error) {
      if (mayHaveBeenStored(error) && !this.uncertainDeadLetters.has(recordId)) {
        this.uncertainDeadLetters.set(recordId, { kind, reason });
        if (this.uncertainDeadLetters.size > MAX_UNCERTAIN_DEAD_LETTERS) this.uncertainDeadLetters.delete(this.uncertainDeadLetters.keys().next().value as string);
      }
      throw error;
    }
    // What this subscription wrote earlier, when that is what the stream holds (the first such attempt).
    const earlier = this.uncertainDeadLetters.get(recordId);
    this.uncertainDeadLetters.delete(recordId);
    if (written.duplicate && earlier === undefined) return;
    const record = written.duplicate && earlier !== undefined ? earlier : { kind, reason };
    this.counts.deadLettered++;
    this.settings.metrics.increment("nats_feed_dead_letters_total", { kind: record.kind });
    this.noteDeadLetter(written.sequence, { ...record, orderId, subject: original.subject, streamSequence: original.sequence, deliveryCount: original.deliveryCount });
  }

  /**
   * Retries a failed dead-letter write for stream sequence `sequence` with capped backoff until it
   * succeeds or stop() runs. With `message` (a last delivery) the delivery is kept alive meanwhile.
   * False when it cannot be taken on (stopping, or MAX_PENDING_DEAD_LETTERS reached).
   */
  private retryDeadLetter(sequence: number, message: JsMsg | undefined, attempt: (entry: PendingDeadLetter) => Promise<void>): boolean {
    const existing = this.pendingDeadLetters.get(sequence);
    if (existing) {
      // The server gave up on a delivery we keep alive (its keep-alive was lost): delete it after the write.
      if (message === undefined) existing.exhausted = true;
      return true;
    }
    if (this.stopping) return false;
    if (this.pendingDeadLetters.size >= MAX_PENDING_DEAD_LETTERS) {
      this.report(
        new NatsFeedError(
          "dead-letter-failed",
          `${this.pendingDeadLetters.size} dead letters already wait for a retry; ${this.settings.feed.streamName} #${sequence} is left to the exhausted-message sweep`,
        ),
      );
      return false;
    }
    const ackWaitMs = message === undefined ? 0 : ackWaitForDelivery(this.ackWaits, message.info.deliveryCount);
    const entry: PendingDeadLetter = { message, ackWaitMs, deadlineMs: Date.now() + ackWaitMs, exhausted: false, attempts: 0, timer: undefined, attempt };
    this.pendingDeadLetters.set(sequence, entry);
    if (message !== undefined) {
      this.send(message, "working", (m) => m.working());
      this.ensureSweeper();
    }
    this.armDeadLetterRetry(sequence, entry);
    return true;
  }

  private armDeadLetterRetry(sequence: number, entry: PendingDeadLetter): void {
    const delayMs = Math.min(this.settings.failureRetryDelayMs * 2 ** Math.min(entry.attempts, 20), MAX_DEAD_LETTER_RETRY_MS);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.stopping) return;
      entry.attempts++;
      const work: Promise<void> = entry
        .attempt(entry)
        .then(
          () => {
            this.pendingDeadLetters.delete(sequence);
          },
          (error: unknown) => {
            const failure = toNatsFeedError(error, `dead-lettering ${this.settings.feed.streamName} #${sequence} (attempt ${entry.attempts + 1})`);
            this.report(failure);
            this.deadLetterStreamMissing(failure);
            if (!this.stopping) this.armDeadLetterRetry(sequence, entry); // else handed back by shutdown
          },
        )
        .finally(() => this.advisoryWork.delete(work));
      this.advisoryWork.add(work);
    }, delayMs);
    entry.timer.unref?.();
  }

  /**
   * stop(): the dead letters still failing are not lost. A kept-alive last delivery is nak'd: the server
   * then finds it exhausted and sends the max-deliver advisory to a worker still running (this one no
   * longer listens) or, with none running, when the next one pulls. A message the server already gave
   * up on stays stored and is found by the exhausted-message sweep of the next worker.
   */
  private handBackPendingDeadLetters(): void {
    if (this.pendingDeadLetters.size === 0) return;
    for (const entry of this.pendingDeadLetters.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      if (entry.message !== undefined && !entry.exhausted) this.queueSettle(entry.message, "nak", 0);
    }
    this.report(
      new NatsFeedError(
        "dead-letter-failed",
        `stopped with ${this.pendingDeadLetters.size} dead letter(s) still unwritten (${[...this.pendingDeadLetters.keys()].slice(0, 10).join(", ")}); handed back, a running or the next worker dead-letters them`,
      ),
    );
    this.pendingDeadLetters.clear();
  }

  /** Tells onDeadLetter about a record this subscription stored (once per record, see recordDeadLetter). */
  private noteDeadLetter(
    deadLetterSequence: number,
    record: { kind: DeadLetterKind; reason: string; orderId: string | undefined; subject: string; streamSequence: number; deliveryCount: number },
  ): void {
    const { orderId, ...rest } = record;
    try {
      this.settings.onDeadLetter({ ...rest, ...(orderId === undefined ? {} : { orderId }), stream: this.settings.feed.streamName, deadLetterSequence });
    } catch {
      // a reporter that throws must not take the worker down
    }
  }

  private queueSettle(message: JsMsg, kind: Settle, delayMs: number): void {
    this.pendingSettles.push({ message, kind, delayMs });
    this.settleFlush ??= setImmediate(() => this.flushSettles());
  }

  private flushSettles(): void {
    if (this.settleFlush !== undefined) clearImmediate(this.settleFlush);
    this.settleFlush = undefined;
    const batch = this.pendingSettles;
    this.pendingSettles = [];
    for (const { message, kind, delayMs } of batch) {
      if (kind === "ack") this.send(message, kind, (m) => m.ack());
      else if (kind === "nak") this.send(message, kind, (m) => m.nak(delayMs));
      else this.send(message, kind, (m) => m.term());
    }
  }

  private send(message: JsMsg, what: string, action: (message: JsMsg) => void): void {
    try {
      action(message);
    } catch (error) {
      const cause = toNatsFeedError(error, `${what} of ${this.settings.feed.streamName} #${message.seq}`);
      this.report(new NatsFeedError("settle-failed", cause.message, { cause }));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Max-deliver: the server gives up on a message no delivery settled, and says so in an advisory.
  // -------------------------------------------------------------------------------------------

  private listenForMaxDeliveries(): void {
    if (this.advisory) return;
    const { streamName, consumerName } = this.settings.feed;
    this.advisory = this.settings.connection.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${streamName}.${consumerName}`, {
      // One worker of the group handles each advisory; the record id makes a second write a no-op anyway.
      queue: `synclag_dlq_${streamName}_${consumerName}`,
      callback: (error, message) => {
        if (error) {
          this.report(toNatsFeedError(error, "max-deliver advisory subscription"));
          return;
        }
        const work: Promise<void> = this.onMaxDeliveries(message.data).finally(() => this.advisoryWork.delete(work));
        this.advisoryWork.add(work);
      },
    });
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.settings.connection, { checkAPI: false, timeout: this.settings.apiTimeoutMs });
    return this.manager;
  }

  private async onMaxDeliveries(data: Uint8Array): Promise<void> {
    let sequence = 0;
    let deliveries = this.maxDeliver;
    try {
      const advisory = JSON.parse(new TextDecoder().decode(data)) as { stream_seq?: unknown; deliveries?: unknown };
      sequence = Number(advisory.stream_seq);
      if (typeof advisory.deliveries === "number") deliveries = advisory.deliveries;
    } catch {
      // handled below: no usable sequence
    }
    if (!Number.isSafeInteger(sequence) || sequence <= 0) {
      this.report(new NatsFeedError("unexpected", `max-deliver advisory without a stream sequence: ${new TextDecoder().decode(data).slice(0, 200)}`));
      return;
    }
    if (this.handedBackAtStop.has(sequence)) {
      // Its last delivery was handed back by this subscription's stop and could not be put back (see
      // requeue): left stored for an exhausted-message sweep, which runs it through the handler once more.
      return;
    }
    const pending = this.pendingDeadLetters.get(sequence);
    if (pending) {
      // Our own kept-alive last delivery (its keep-alive did not reach the server): its retry writes the
      // record with the real reason; it must now also delete the message.
      pending.exhausted = true;
      return;
    }
    const reason = `not settled after ${deliveries} deliveries (max deliver ${this.maxDeliver}): every delivery's ack wait ran out (worker crashed, hung or too slow)`;
    await this.deadLetterStoredOrRetry(sequence, deliveries, "max-deliver", reason);
  }

  /** Dead-letters a message no delivery will settle any more; a failed write is retried (see retryDeadLetter). */
  private async deadLetterStoredOrRetry(sequence: number, deliveries: number, kind: DeadLetterKind, reason: string): Promise<void> {
    try {
      await this.deadLetterStored(sequence, deliveries, kind, reason);
    } catch (error) {
      const failure = toNatsFeedError(error, `dead-lettering ${this.settings.feed.streamName} #${sequence} (${kind})`);
      this.report(failure);
      this.deadLetterStreamMissing(failure);
      this.retryDeadLetter(sequence, undefined, () => this.deadLetterStored(sequence, deliveries, kind, reason));
    }
  }

  /** Reads stored message `sequence`, writes its dead letter and deletes it; throws when not done. */
  private async deadLetterStored(sequence: number, deliveries: number, kind: DeadLetterKind, reason: string): Promise<void> {
    const { streamName } = this.settings.feed;
    const jsm = await this.jsm();
    const stored = await jsm.streams.getMessage(streamName, { seq: sequence });
    if (!stored) return; // settled after all (a late ack) or already dead-lettered by another worker
    const decoded = decodeOrderEvent(stored.data);
    const orderId = decoded.ok ? decoded.event.orderId : orderIdHint(stored.data);
    const original = {
      subject: stored.subject,
      sequence,
      timestampNanos: timestampNanosFromIso(stored.timestamp),
      deliveryCount: deliveries,
      data: stored.data,
      ...(await this.originalHeaders(() => stored.header, sequence)),
    };
    await this.recordDeadLetter(original, kind, reason, orderId);
    await this.deleteStored(sequence, `its dead letter (${kind}) is written`);
  }

  /**
   * On a work-queue stream an exhausted message is never removed by the server: delete it. True once it
   * is gone; throws when the delete may succeed later (timeout, outage). False when the stream refuses
   * deletes by configuration (deny_delete, sealed — provisioning refuses such a stream, but it can be
   * changed under a running feed): retrying cannot help, and did loop forever (found by review). The
   * message is then left stored — whatever was done with it stays done (its dead letter is written, or
   * the handler settled it) — reported once as `delete-denied`, and never tried again by this
   * subscription. The server does not deliver it again; a worker started later finds it in its
   * exhausted-message sweep and runs it once more through the handler (an applied order comes back a
   * duplicate; a dead letter written again is the same record), so nothing is lost or counted twice.
   */
  private async deleteStored(sequence: number, what: string): Promise<boolean> {
    if (this.undeletable.has(sequence)) return false;
    const { streamName } = this.settings.feed;
    const jsm = await this.jsm();
    try {
      await jsm.streams.deleteMessage(streamName, sequence, false);
      return true;
    } catch (error) {
      if (/no message found/i.test(error instanceof Error ? error.message : "")) return true;
      if (!isDeleteDenied(error)) throw error;
      this.undeletable.add(sequence);
      if (this.undeletable.size > MAX_UNDELETABLE) this.undeletable.delete(this.undeletable.values().next().value as number);
      this.counts.undeletable++;
      const detail = error instanceof Error ? error.message : String(error);
      this.report(
        new NatsFeedError(
          "delete-denied",
          `${streamName} #${sequence} (${what}) cannot be deleted: the stream refuses message deletes (${detail}: deny_delete or sealed; provisionStreams refuses such a stream, nats-server cannot lift either in place). Not retried: the message stays stored and is never delivered again; it is not lost (${what}). Recreate the orders stream without deny_delete, after draining it.`,
          { cause: error },
        ),
      );
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Exhausted-message sweep: messages the server gave up on that were never dead-lettered.
  // -------------------------------------------------------------------------------------------

  /** Sweeps now (consuming just started) and every exhaustedSweepIntervalMs while running. */
  private startExhaustedSweeps(): void {
    this.sweepExhaustedInBackground();
    if (this.exhaustedSweeper !== undefined || this.stopping) return;
    this.exhaustedSweeper = setInterval(() => this.sweepExhaustedInBackground(), this.settings.exhaustedSweepIntervalMs);
    this.exhaustedSweeper.unref?.();
  }

  private sweepExhaustedInBackground(): void {
    if (this.sweepingExhausted || this.stopping) return;
    this.sweepingExhausted = true;
    const work: Promise<void> = this.sweepExhausted()
      .catch((error: unknown) => this.report(toNatsFeedError(error, `looking for exhausted messages in ${this.settings.feed.streamName}`)))
      .finally(() => {
        this.sweepingExhausted = false;
        this.advisoryWork.delete(work);
      });
    this.advisoryWork.add(work);
  }

  private async sweepExhausted(): Promise<void> {
    const first = await this.exhaustedCandidates();
    if (first.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, EXHAUSTED_RECHECK_MS));
    if (this.stopping) return;
    const confirmed = new Set(await this.exhaustedCandidates());
    for (const sequence of first) {
      if (this.stopping) return;
      if (!confirmed.has(sequence) || this.pendingDeadLetters.has(sequence) || this.undeletable.has(sequence)) continue;
      await this.lastChance(sequence);
    }
  }

  /**
   * A sweep find is not necessarily exhausted: nats-server (2.9, file storage) killed and restarted can
   * restore messages it had already deleted after their ack, below the consumer's ack floor — dead-
   * lettering them all as "max-deliver" filled the DLQ with orders that had been applied (207 in one
   * review run). So each find runs once more through the handler, like a delivery with nothing to keep
   * alive: an order already applied comes back a duplicate from the idempotent store and is acked,
   * i.e. deleted here; only a refusal or a failure dead-letters it, with the handler's own reason.
   * Interrupted by stop(), it stays stored for the next worker's sweep.
   */
  private async lastChance(sequence: number): Promise<void> {
    const { streamName } = this.settings.feed;
    const stored = await (await this.jsm()).streams.getMessage(streamName, { seq: sequence });
    if (!stored) return; // settled after all (a late ack), or handled by another worker's sweep
    const deliveries = Math.max(1, this.maxDeliver);
    const where = `found stored at or below the consumer's ack floor, where it is never delivered again (max deliver ${this.maxDeliver} ran out without a dead letter, or nats-server restored it after an unclean restart although it had been acked)`;
    const decoded = decodeOrderEvent(stored.data);
    if (!decoded.ok) {
      await this.deadLetterStoredOrRetry(sequence, deliveries, "invalid", `invalid order event: ${formatProblems(decoded.problems)}; ${where}`);
      return;
    }
    const event = decoded.event;
    // Bounded: the finds include orders whose handler hung until max-deliver ran out. Unbounded, one of
    // them froze this sweep and every later one (its other finds never settled) and held up stop().
    const limitMs = this.ackWaits.ackWaitMs;
    let timer: NodeJS.Timeout | undefined;
    const run = Promise.resolve()
      .then(() => this.handler(event, { deliveryCount: deliveries, working: () => {} }))
      .catch((error: unknown) => this.handlerFailed(event, deliveries, error));
    const outcome = await Promise.race([
      run.then((disposition) => ({ disposition })),
      new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), limitMs))),
      this.stopRequested.then(() => "stopped" as const),
    ]).finally(() => clearTimeout(timer));
    if (outcome === "stopped") return; // left stored: the next worker's sweep runs it again
    if (outcome === "timeout") {
      await this.deadLetterStoredOrRetry(sequence, deliveries, "retries-exhausted", `${where}; a last run through the handler did not finish within the ack wait (${limitMs} ms)`);
      return;
    }
    const disposition: Disposition = outcome.disposition;
    switch (disposition?.kind) {
      case "ack":
        await this.deleteStored(sequence, "the handler acked it in a last run: its order is handled");
        this.counts.acked++;
        this.settings.metrics.increment("nats_feed_acks_total");
        return;
      case "dead-letter":
        await this.deadLetterStoredOrRetry(sequence, deliveries, "rejected", `${disposition.reason} (in a last run through the handler: ${where})`);
        return;
      default: {
        if (this.stopping) return; // the handler gave up because we stop: the next worker's sweep runs it again
        const why = disposition?.kind === "retry" ? disposition.reason : `unknown disposition ${JSON.stringify(disposition)}`;
        await this.deadLetterStoredOrRetry(sequence, deliveries, "retries-exhausted", `${where}; a last run through the handler did not settle it: ${why}`);
      }
    }
  }

  /**
   * Stored messages the consumer will never deliver again. JetStream says which messages are
   * ack-pending only as a count, so only two cases are certain: a stored message at or below the ack
   * floor (every one there was acked — deleted on a work-queue stream, unless nats-server restored it
   * after an unclean restart — or given up on), and, when nothing is ack-pending, every stored message
   * at or below the delivered sequence. An exhausted
   * message above the floor while others are pending waits for a later sweep (the floor moves up to it
   * whenever nothing is pending). Only for deliver policy `all` (otherwise messages below the start were
   * never delivered). Cheap when there is nothing to find: two info requests.
   */
  private async exhaustedCandidates(): Promise<number[]> {
    const { streamName, consumerName, subjectPrefix } = this.settings.feed;
    const jsm = await this.jsm();
    const consumer = await jsm.consumers.info(streamName, consumerName);
    if (consumer.config.deliver_policy !== DeliverPolicy.All) return [];
    const stream = await jsm.streams.info(streamName);
    // Stored = not yet delivered + ack-pending + exhausted (no other consumer on a work-queue stream).
    if (stream.state.messages - consumer.num_pending - consumer.num_ack_pending <= 0) return [];
    const bound = consumer.num_ack_pending === 0 ? consumer.delivered.stream_seq : consumer.ack_floor.stream_seq;
    const found: number[] = [];
    for (let seq = stream.state.first_seq; seq <= bound && found.length < EXHAUSTED_SWEEP_BATCH; ) {
      // next_by_subj (nats-server 2.9+): the first stored message at or after seq — skips deleted ones.
      const query = { seq, next_by_subj: orderSubjects(subjectPrefix) } as unknown as { seq: number };
      const stored = await jsm.streams.getMessage(streamName, query);
      if (!stored || stored.seq > bound) break;
      // One the stream refused to delete stays here: not a find (it would take a batch slot every sweep).
      if (!this.undeletable.has(stored.seq)) found.push(stored.seq);
      seq = stored.seq + 1;
    }
    return found;
  }
}

/**
 * A failed dead-letter write the server may have stored all the same: no PubAck in time, the connection
 * lost or closed under the request, or a failure nats.js did not explain. A refusal (stream missing or
 * full, too large, wrong stream) stored nothing.
 */
function mayHaveBeenStored(error: unknown): boolean {
  const cause = error instanceof NatsFeedError && error.reason === "dead-letter-failed" && error.cause instanceof NatsFeedError ? error.cause : error;
  return cause instanceof NatsFeedError && (cause.reason === "timeout" || cause.reason === "closed" || cause.reason === "unexpected");
}

/** Waits for `promise` until `deadlineMs` (epoch ms), or until `giveUp` resolves; true when it settled in time. */
async function waitUntil(promise: Promise<unknown>, deadlineMs: number, giveUp?: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs - Date.now()));
  });
  const racers: Promise<boolean>[] = [promise.then(() => true, () => true), timeout];
  if (giveUp) racers.push(giveUp.then(() => false, () => false));
  try {
    return await Promise.race(racers);
  } finally {
    clearTimeout(timer);
  }
}
