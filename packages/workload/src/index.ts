// @synclag/workload — scenarios (schema, built-ins, loading), the open-model arrival plan, and the
// cost model. Shared by the simulator and the real load generator.

// --- Scenarios ---
export { MAX_EXPECTED_ORDERS, MAX_LISTINGS, MAX_SEED, SEED_LIMIT_TEXT, scenarioSchema } from "./scenario-schema.js";
export type { ChannelSpec, Scenario, ScenarioInput } from "./scenario-schema.js";
export { BUILTIN_SCENARIOS } from "./builtins.js";
export { describeReadError, loadScenario, validateScenario } from "./load-scenario.js";
export type { LoadResult } from "./load-scenario.js";
export { MAX_POLLING_INTERVAL_MS, MIN_POLLING_INTERVAL_MS, parseStrategy, strategyName } from "./strategy.js";
export type { Strategy, StrategyParse } from "./strategy.js";

// --- Arrivals ---
export { buildCatalog, expectedArrivals, planArrivals, rateSegments, skuName } from "./arrivals.js";
export type { Arrival, CatalogItem, RateCurve } from "./arrivals.js";

// --- Cost ---
export { computeCost } from "./cost.js";
export { ISO_4217_CURRENCY_CODES, currencyCode, isCurrencyCode } from "./currency.js";
export type { CostBreakdown, CostModel } from "./cost.js";
