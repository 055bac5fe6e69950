import { describe, expect, it, vi } from "vitest";
import { TimedHeap } from "./min-heap.js";
import { Prng } from "./prng.js";
import { VirtualScheduler } from "./virtual-time.js";

describe("VirtualScheduler", () => {
  it("refuses a timer delay that is not a finite number (NaN would make the clock NaN for good)", () => {
    const scheduler = new VirtualScheduler(0);
    expect(() => scheduler.setTimer(Number.NaN, () => undefined)).toThrow(RangeError);
    expect(() => scheduler.setTimer(Number.POSITIVE_INFINITY, () => undefined)).toThrow(RangeError);
    expect(scheduler.now()).toBe(0);
  });

  it("runs timers that continuations set while it drains, before the clock jumps to the end (time never goes back)", async () => {
    const scheduler = new VirtualScheduler(0);
    const seen: number[] = [];
    // A handler that fails, then sleeps in a continuation: its timer is set only after a microtask.
    void Promise.reject(new Error("store down")).catch(() => scheduler.setTimer(100, () => seen.push(scheduler.now())));
    await scheduler.runUntil(10_000);
    expect(seen).toEqual([100]);
    expect(scheduler.now()).toBe(10_000);
    scheduler.setTimer(5, () => seen.push(scheduler.now()));
    await scheduler.runUntil(20_000);
    expect(seen).toEqual([100, 10_005]);
  });

  it("lets a continuation chain of any depth finish at the time of the event that resolved it", async () => {
    const scheduler = new VirtualScheduler(0);
    const seen: Array<[string, number]> = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => scheduler.setTimer(ms, resolve));
    const worker = async (name: string, delays: readonly number[]) => {
      for (const delay of delays) {
        await sleep(delay);
        // Several hops after the resolving event, still at its time.
        await Promise.resolve();
        await Promise.resolve().then(() => undefined);
        seen.push([name, scheduler.now()]);
      }
    };
    const done = Promise.all([worker("a", [10, 10, 10]), worker("b", [15, 15])]);
    await scheduler.runUntil();
    await done;
    expect(seen).toEqual([
      ["a", 10],
      ["b", 15],
      ["a", 20],
      ["b", 30], // b's timer for 30 was set at 15, a's at 20: same instant, scheduling order
      ["a", 30],
    ]);
  });

  it("runs the events of one instant as one batch in scheduling order, then drains once", async () => {
    const scheduler = new VirtualScheduler(0);
    const order: string[] = [];
    scheduler.setTimer(5, () => {
      order.push("e1");
      void Promise.resolve().then(() => order.push("continuation of e1"));
    });
    scheduler.setTimer(5, () => order.push("e2"));
    scheduler.setTimer(6, () => order.push("e3"));
    await scheduler.runUntil();
    expect(order).toEqual(["e1", "e2", "continuation of e1", "e3"]);
  });

  it("drains a regular event's continuations before a synchronous event at a later instant", async () => {
    const scheduler = new VirtualScheduler(0);
    const order: Array<[string, number]> = [];
    const note = (what: string) => order.push([what, scheduler.now()]);
    scheduler.setTimer(1, () => {
      note("regular");
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => note("continuation"));
    });
    scheduler.setSyncTimer(1, () => note("sync, same instant"));
    scheduler.setSyncTimer(2, () => note("sync"));
    scheduler.atSync(3, () => {
      note("sync, arms a regular timer");
      scheduler.setTimer(1, () => {
        note("regular");
        void Promise.resolve().then(() => note("continuation"));
      });
    });
    scheduler.atSync(5, () => note("sync"));
    await scheduler.runUntil();
    expect(order).toEqual([
      ["regular", 1],
      ["sync, same instant", 1],
      ["continuation", 1],
      ["sync", 2],
      ["sync, arms a regular timer", 3],
      ["regular", 4],
      ["continuation", 4],
      ["sync", 5],
    ]);
  });

  it("moves between instants of synchronous events without a microtask drain per instant", async () => {
    const scheduler = new VirtualScheduler(0);
    const times: number[] = [];
    for (let t = 1; t <= 100; t++) scheduler.atSync(t, () => times.push(scheduler.now()));
    const nextTick = vi.spyOn(process, "nextTick");
    try {
      await scheduler.runUntil(1_000);
      expect(times).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(scheduler.now()).toBe(1_000);
      // One drain before the first event (runUntil may be called with continuations queued) and one at the end.
      expect(nextTick.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      nextTick.mockRestore();
    }
    // Regular events still drain at every instant.
    for (let t = 1; t <= 10; t++) scheduler.setTimer(t, () => undefined);
    const again = vi.spyOn(process, "nextTick");
    try {
      await scheduler.runUntil(2_000);
      expect(again.mock.calls.length).toBeGreaterThanOrEqual(10);
    } finally {
      again.mockRestore();
    }
  });

  it("rejects when an event callback throws, and when the event budget runs out", async () => {
    const failing = new VirtualScheduler(0);
    failing.setTimer(1, () => {
      throw new Error("boom");
    });
    await expect(failing.runUntil()).rejects.toThrow("boom");
    const looping = new VirtualScheduler(0);
    const tick = () => looping.setTimer(1, tick);
    tick();
    await expect(looping.runUntil(Number.POSITIVE_INFINITY, 100)).rejects.toThrow(/event budget of 100 exhausted/);
  });

  it("skips cleared timers and stops at `untilMs`, leaving later events queued", async () => {
    const scheduler = new VirtualScheduler(1_000);
    const seen: number[] = [];
    const cleared = scheduler.setTimer(10, () => seen.push(-1));
    scheduler.setTimer(20, () => seen.push(scheduler.now()));
    scheduler.setTimer(500, () => seen.push(scheduler.now()));
    scheduler.clearTimer(cleared);
    await scheduler.runUntil(1_100);
    expect(seen).toEqual([1_020]);
    expect(scheduler.now()).toBe(1_100);
    expect(scheduler.pending).toBe(1);
    expect(scheduler.nextAtMs).toBe(1_500);
  });
});

describe("TimedHeap", () => {
  it("pops in (atMs, seq) order through growth, ties and interleaved pushes", () => {
    const random = new Prng(7);
    const heap = new TimedHeap<{ atMs: number; seq: number }>();
    const reference: Array<{ atMs: number; seq: number }> = [];
    const popped: Array<{ atMs: number; seq: number }> = [];
    const expected: Array<{ atMs: number; seq: number }> = [];
    let seq = 0;
    for (let round = 0; round < 5_000; round++) {
      // Few distinct times, so ties on atMs are common and seq decides.
      const entry = { atMs: Math.floor(random.next() * 50), seq: ++seq };
      heap.push(entry);
      reference.push(entry);
      if (random.next() < 0.3) {
        reference.sort((x, y) => x.atMs - y.atMs || x.seq - y.seq);
        expected.push(reference.shift() as { atMs: number; seq: number });
        popped.push(heap.pop() as { atMs: number; seq: number });
      }
    }
    reference.sort((x, y) => x.atMs - y.atMs || x.seq - y.seq);
    expect(heap.size).toBe(reference.length);
    expect(heap.peek()).toBe(reference[0]);
    while (heap.size > 0) popped.push(heap.pop() as { atMs: number; seq: number });
    expected.push(...reference);
    expect(popped).toEqual(expected);
    expect(heap.pop()).toBeUndefined();
  });
});
