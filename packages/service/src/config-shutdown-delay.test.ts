// `shutdownDelay`, the stop's drain window (readiness 503 while webhooks are still taken): a duration
// like the others (file, SYNCLAG_SHUTDOWN_DELAY, --shutdown-delay; its unit required), default 0, and
// counted inside `shutdownTimeout` — a delay that leaves the stop no time is refused with the fix named,
// listed with every other problem, also for a configuration built in code. The stop steps share what
// is left of the deadline.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { loadServiceConfig, serviceConfigSchema } from "./config.js";
import { EngineService, createLogger, shutdownBudgets, stopStepBudgets } from "./engine-service.js";
import { ServiceError } from "./errors.js";

describe("shutdownDelay in the configuration", () => {
  it("defaults to 0 and is read from the file, the environment and the flag, in that order of precedence", () => {
    expect(loadServiceConfig({}, {}).shutdownDelay).toBe(0);
    const path = file("engine.yaml", "shutdownDelay: 5s\nshutdownTimeout: 20s\n");
    expect(loadServiceConfig({ config: path }, {})).toMatchObject({ shutdownDelay: 5_000, shutdownTimeout: 20_000 });
    expect(loadServiceConfig({ config: path }, { SYNCLAG_SHUTDOWN_DELAY: "7s" }).shutdownDelay).toBe(7_000);
    expect(loadServiceConfig({ config: path, shutdownDelay: "2500ms" }, { SYNCLAG_SHUTDOWN_DELAY: "7s" }).shutdownDelay).toBe(2_500);
    expect(loadServiceConfig({ shutdownDelay: "0" }, {}).shutdownDelay).toBe(0);
  });

  it("needs its unit, in the environment and in the file", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_SHUTDOWN_DELAY: "5" }))).toEqual(['SYNCLAG_SHUTDOWN_DELAY (shutdownDelay): "5" has no unit: write e.g. 5s or 5ms']);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.yaml", "shutdownDelay: 5000\n") }, {}))).toEqual(['shutdownDelay: 5000 has no unit: write it with one, e.g. "5000ms" or "5000s"']);
    expect(problemsOf(() => loadServiceConfig({ shutdownDelay: "soon" }, {}))).toEqual([expect.stringMatching(/^--shutdown-delay \(shutdownDelay\): "soon" is not a duration/)]);
  });

  it("refuses a delay not less than shutdownTimeout, naming both and the fix", () => {
    expect(problemsOf(() => loadServiceConfig({ shutdownDelay: "15s" }, {}))).toEqual([
      "--shutdown-delay (shutdownDelay): 15s is not less than shutdownTimeout (15s): the drain window is counted inside the shutdown deadline and the stop after it needs time too — raise shutdownTimeout (e.g. to 30s) or shorten shutdownDelay",
    ]);
    expect(problemsOf(() => loadServiceConfig({ shutdownDelay: "1m" }, { SYNCLAG_SHUTDOWN_TIMEOUT: "20s" }))).toEqual([expect.stringMatching(/^--shutdown-delay \(shutdownDelay\): 1m is not less than shutdownTimeout \(20s\)/)]);
    expect(loadServiceConfig({ shutdownDelay: "14s" }, {}).shutdownDelay).toBe(14_000);
  });

  it("lists that problem with the others, and only when both durations are valid themselves", () => {
    expect(problemsOf(() => loadServiceConfig({ shutdownDelay: "20s", logLevel: "loud" }, {}))).toEqual([expect.stringMatching(/^--log-level \(logLevel\): /), expect.stringMatching(/^--shutdown-delay \(shutdownDelay\): 20s is not less than shutdownTimeout/)]);
    expect(problemsOf(() => loadServiceConfig({ shutdownDelay: "20s", shutdownTimeout: "30" }, {}))).toEqual(['--shutdown-timeout (shutdownTimeout): "30" has no unit: write e.g. 30s or 30ms']);
  });

  it("is refused by EngineService.start for a configuration built in code, before anything connects (exit 2)", async () => {
    const config = { ...serviceConfigSchema.parse({ natsUrl: "nats://127.0.0.1:9", redisUrl: "redis://127.0.0.1:9" }), shutdownDelay: 15_000 };
    const error = await EngineService.start({ config, logger: createLogger("silent") }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ reason: "config", problems: [expect.stringMatching(/^shutdownDelay: 15s is not less than shutdownTimeout \(15s\)/)] });
  });
});

describe("the stop steps after the drain window", () => {
  it("share what the delay leaves of shutdownTimeout, so delay and steps together fit inside it", () => {
    for (const [timeoutMs, delayMs] of [
      [15_000, 0],
      [15_000, 5_000],
      [20_000, 5_000],
      [15_000, 14_999],
      [1_000, 999],
    ] as const) {
      const b = stopStepBudgets({ shutdownTimeout: timeoutMs, shutdownDelay: delayMs });
      expect(delayMs + b.ingestStepMs + b.engineStepMs + 4 * b.closeStepMs, JSON.stringify({ timeoutMs, delayMs, b })).toBeLessThanOrEqual(timeoutMs);
      expect(b.feedStopMs).toBeGreaterThan(0);
    }
    expect(stopStepBudgets({ shutdownTimeout: 15_000, shutdownDelay: 0 })).toEqual(shutdownBudgets(15_000));
    expect(stopStepBudgets({ shutdownTimeout: 20_000, shutdownDelay: 5_000 })).toEqual(shutdownBudgets(15_000));
  });
});
