// Simulator throughput: black-friday-40 (1,000,000 orders, 40 channels, 5,000 SKUs) through the
// event-driven engine in virtual time. Figures: wall time and simulated events per second.
// `npm run bench -- sim [--scenario NAME] [--strategy events]`
import { cpus } from "node:os";
import { Histogram } from "@synclag/metrics";
import { simulateStrategy } from "@synclag/sim";
import { loadScenario } from "@synclag/workload";
import type { BenchContext } from "./run.js";

export default async function run(context: BenchContext): Promise<Record<string, unknown>> {
  const flag = (name: string, fallback: string) => {
    const index = context.args.indexOf(`--${name}`);
    return index >= 0 ? (context.args[index + 1] ?? fallback) : fallback;
  };
  const name = flag("scenario", "black-friday-40");
  const strategy = flag("strategy", "events");
  const loaded = loadScenario(name);
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  const scenario = loaded.scenario;
  context.log(`simulating ${name} with ${strategy} on ${cpus().length} cores…`);
  const startedAt = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let lastLog = 0;
  const result = await simulateStrategy(scenario, strategy, scenario.seed, {
    onProgress: (done, total) => {
      const percent = Math.floor((done / total) * 100);
      if (percent >= lastLog + 10) {
        lastLog = percent;
        context.log(`${percent}% of virtual time`);
      }
    },
  });
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  // Per marketplace kind: how each API's limits shape lag (Amazon's 5 updates/s per seller is the ceiling).
  const kinds = new Map<string, { lag: Histogram; updateCalls: number; throttled: number; channels: number; rateLimitBound: number }>();
  for (const channel of Object.values(result.channels)) {
    const entry = kinds.get(channel.kind) ?? { lag: new Histogram(), updateCalls: 0, throttled: 0, channels: 0, rateLimitBound: 0 };
    entry.lag.merge(Histogram.decode(channel.histograms.syncLagMs));
    entry.updateCalls += channel.updateCalls;
    entry.throttled += channel.throttled;
    entry.channels += 1;
    if (channel.rateLimit.bound) entry.rateLimitBound += 1;
    kinds.set(channel.kind, entry);
  }
  const byKind = Object.fromEntries([...kinds].map(([kind, e]) => [kind, { channels: e.channels, syncLagMs: { p50: e.lag.percentile(50), p99: e.lag.percentile(99), max: e.lag.max }, updateCalls: e.updateCalls, throttled: e.throttled, channelsBoundByRateLimit: e.rateLimitBound }]));
  return {
    scenario: name,
    strategy,
    orders: result.orders.attempted,
    ordersAccepted: result.orders.accepted,
    channels: scenario.channels.length,
    skus: scenario.catalog.skus,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
    simulatedEvents: result.simulatedEvents,
    simulatedEventsPerSecond: Math.round(result.simulatedEvents / wallSeconds),
    simulatedOrdersPerSecond: Math.round(result.orders.attempted / wallSeconds),
    pushCalls: result.engine.pushCalls,
    checksOk: result.ok,
    syncLagMs: result.syncLagMs,
    byKind,
    failedChecks: result.checks.filter((c) => !c.ok).map((c) => c.name),
    goal: { wallSecondsAtMost: 60, simulatedEventsPerSecondAtLeast: 1_000_000 },
  };
}
