import { parseDuration } from "@synclag/core";
import { describe, expect, it } from "vitest";
import { reproduceRunCommand } from "./real-run.js";

/** The flags of a command line as a map (values unquoted only where the test needs them plain). */
function flags(command: string): Map<string, string> {
  return new Map([...command.matchAll(/--([\w-]+) ('[^']*'|\S+)/g)].map((m) => [m[1] as string, m[2] as string]));
}

describe("reproduceRunCommand", () => {
  it("names scenario, strategy, duration and seed, and nothing that is left at its default", () => {
    expect(reproduceRunCommand({ scenario: "flash-sale", strategy: "events", seed: 7, durationMs: 30_000 })).toBe("npx synclag run --scenario flash-sale --strategy events --duration 30s --seed 7");
    expect(reproduceRunCommand({ scenario: "flash-sale", strategy: "polling:10s", seed: 7, durationMs: 30_000, marketplaceTime: "scaled", convergenceTimeoutMs: 60_000 })).toBe(
      "npx synclag run --scenario flash-sale --strategy polling:10s --duration 30s --seed 7",
    );
  });

  it("keeps every non-default flag that changes the experiment: marketplace time, convergence timeout, rate", () => {
    const command = reproduceRunCommand({ scenario: "flash-sale", strategy: "events", seed: 3, durationMs: 90_000, ratePerSecond: 12.5, marketplaceTime: "real", convergenceTimeoutMs: 150_000 });
    const given = flags(command);
    expect(given.get("marketplace-time")).toBe("real");
    expect(parseDuration(given.get("convergence-timeout") ?? "")).toBe(150_000);
    expect(given.get("rate")).toBe("12.5/s");
    expect(parseDuration(given.get("duration") ?? "")).toBe(90_000);
    expect(given.get("seed")).toBe("3");
  });

  it("gives the duration exactly (no rounding to whole seconds) and quotes a scenario file for the shell", () => {
    const command = reproduceRunCommand({ scenario: "my scenarios/it's.yaml", strategy: "events", seed: 1, durationMs: 1_500 });
    expect(parseDuration(flags(command).get("duration") ?? "")).toBe(1_500);
    expect(command).toContain(`--scenario 'my scenarios/it'\\''s.yaml'`);
  });
});
