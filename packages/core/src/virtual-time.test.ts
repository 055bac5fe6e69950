import { describe, expect, it } from "vitest";
import { VirtualScheduler } from "./virtual-time.js";

describe("VirtualScheduler", () => {
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
});
