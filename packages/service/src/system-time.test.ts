// The real machine's Scheduler: Node's setTimeout takes at most 2^31−1 ms (24.86 days) and fires a
// longer delay early, so `--strategy polling:30d` would poll every 24.86 days. Long delays are chained.
import { afterEach, describe, expect, it, vi } from "vitest";
import { SystemScheduler } from "./system-time.js";

const DAY_MS = 86_400_000;

describe("SystemScheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires a 30-day timer after 30 days, not at setTimeout's 24.86-day ceiling", () => {
    vi.useFakeTimers();
    const scheduler = new SystemScheduler();
    let firedAt = -1;
    const start = Date.now();
    scheduler.setTimer(30 * DAY_MS, () => (firedAt = Date.now() - start));
    vi.advanceTimersByTime(25 * DAY_MS);
    expect(firedAt).toBe(-1);
    expect(scheduler.pending).toBe(1);
    vi.advanceTimersByTime(5 * DAY_MS - 1);
    expect(firedAt).toBe(-1);
    vi.advanceTimersByTime(1);
    expect(firedAt).toBe(30 * DAY_MS);
    expect(scheduler.pending).toBe(0);
  });

  it("fires a year-long timer once, after a year (polling intervals up to 366 days are accepted)", () => {
    vi.useFakeTimers();
    const scheduler = new SystemScheduler();
    let fired = 0;
    scheduler.setTimer(366 * DAY_MS, () => (fired += 1));
    vi.advanceTimersByTime(366 * DAY_MS - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(400 * DAY_MS);
    expect(fired).toBe(1);
  });

  it("clears a long timer in any of its links, and clearAll clears it too", () => {
    vi.useFakeTimers();
    const scheduler = new SystemScheduler();
    let fired = 0;
    const early = scheduler.setTimer(60 * DAY_MS, () => (fired += 1));
    const late = scheduler.setTimer(60 * DAY_MS, () => (fired += 1));
    scheduler.setTimer(60 * DAY_MS, () => (fired += 1));
    scheduler.clearTimer(early); // in its first link
    vi.advanceTimersByTime(30 * DAY_MS);
    scheduler.clearTimer(late); // in a later link
    expect(scheduler.pending).toBe(1);
    scheduler.clearAll();
    expect(scheduler.pending).toBe(0);
    vi.advanceTimersByTime(60 * DAY_MS);
    expect(fired).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("still runs short and non-positive delays as before", () => {
    vi.useFakeTimers();
    const scheduler = new SystemScheduler();
    const fired: string[] = [];
    scheduler.setTimer(-5, () => fired.push("negative"));
    scheduler.setTimer(10, () => fired.push("ten"));
    scheduler.setTimer(2_147_483_647, () => fired.push("max"));
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(["negative"]);
    vi.advanceTimersByTime(10);
    expect(fired).toEqual(["negative", "ten"]);
    vi.advanceTimersByTime(2_147_483_647);
    expect(fired).toEqual(["negative", "ten", "max"]);
  });
});
