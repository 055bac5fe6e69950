// Simulator throughput: black-friday-40 (1,000,000 orders, 40 channels, 5,000 SKUs) through the
// event-driven engine in virtual time. Figures: wall time and simulated events per second.
// `npm run bench -- sim [--scenario NAME] [--strategy events]`
import { cpus } from "node:os";
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
    goal: { wallSecondsAtMost: 60, simulatedEventsPerSecondAtLeast: 1_000_000 },
  };
}
