// Small scenarios for tests: fast, and each states exactly what it isolates.
import { validateScenario, type Scenario, type ScenarioInput } from "@synclag/workload";

export function scenario(input: ScenarioInput): Scenario {
  const loaded = validateScenario(input, input.name);
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return loaded.scenario;
}

/** Channels whose API, visibility and notifications take no time and never throttle. */
export function instantChannel(id: string, overrides: NonNullable<ScenarioInput["channels"][number]["profile"]> = {}): ScenarioInput["channels"][number] {
  return {
    id,
    kind: "woocommerce",
    share: 1,
    profile: {
      rateLimit: { kind: "none" },
      clientRateLimit: { ratePerSecond: 1_000_000, burst: 1_000_000 },
      apiLatency: { kind: "constant", ms: 0 },
      visibilityDelay: { kind: "constant", ms: 0 },
      batchLinger: 0,
      notifications: { delay: { kind: "constant", ms: 0 }, duplicateRate: 0, attemptFailureRate: 0, retries: 0 },
      ...overrides,
    },
  };
}
