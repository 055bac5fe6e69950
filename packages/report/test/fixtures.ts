// Result documents for the tests, produced by the real simulator (never hand-written JSON), so the
// renderers are tested on exactly what `synclag compare --json` writes. Memoised per test file.

import { compare } from "@synclag/sim";
import { validateScenario, type ScenarioInput } from "@synclag/workload";
import type { ResultDocument } from "@synclag/sim";

/** 1 h, 5 SKUs, 2 channels, a 20-minute 5× peak: runs in about a second. */
export const SMALL_SCENARIO: ScenarioInput = {
  name: "small",
  description: "A small flash sale for tests.",
  duration: "1h",
  catalog: { skus: 5, stock: { min: 8, max: 16 } },
  channels: [
    { id: "amazon", kind: "amazon", share: 0.6 },
    { id: "shopify", kind: "shopify", share: 0.4 },
  ],
  demand: { ordersPerDay: 1500, curve: [{ start: "20m", duration: "20m", multiplier: 5, label: "flash sale" }], agentShare: 0.2 },
  strategies: ["events", "polling:15m"],
  convergenceBudget: "30m",
};

const cache = new Map<string, Promise<ResultDocument>>();

export function simulate(input: ScenarioInput, strategies: readonly string[] = ["events", "polling:15m"], seed = 1): Promise<ResultDocument> {
  const key = JSON.stringify([input, strategies, seed]);
  let doc = cache.get(key);
  if (!doc) {
    const validated = validateScenario(input, input.name);
    if (!validated.ok) throw new Error(validated.problems.join("\n"));
    doc = compare(validated.scenario, strategies, seed);
    cache.set(key, doc);
  }
  return doc;
}

export const smallDoc = () => simulate(SMALL_SCENARIO);

/**
 * A `synclag run` document for the renderers: the small scenario's simulated figures in the shape a
 * real run writes (`generator.mode: "real"`, a `load` section) — 1 h of trading compressed into 10 s
 * (360×). Only the renderers' reading of the time-lapse is under test, not the figures.
 */
export async function realDoc(strategies: readonly string[] = ["events"], marketplaceTime: "scaled" | "real" = "scaled"): Promise<ResultDocument> {
  const doc = await simulate(SMALL_SCENARIO, strategies);
  const durationMs = 10_000;
  return {
    ...doc,
    generator: { ...doc.generator, mode: "real" },
    strategies: doc.strategies.map((s) => ({
      ...s,
      orders: { ...s.orders, droppedArrivals: 0 },
      load: { durationMs, timeScale: durationMs / doc.scenario.durationMs, planned: s.orders.attempted, sent: s.orders.attempted, errors: 0, marketplaceTime },
    })),
  } as ResultDocument;
}
