// `synclag run --duration 10`: the number is fine, the unit is missing — say that (as the engine's
// configuration does for a bare number: `"30" has no unit: write e.g. 30s or 30ms`), not that "10" is
// not a positive duration. A zero or unreadable duration keeps the positive-duration message.

import { describe, expect, it } from "vitest";
import { LONG, expectUsageError, runCli } from "./support.js";

describe("synclag run: a duration flag without a unit", LONG, () => {
  it("says a bare number has no unit, for --duration and --convergence-timeout, with the fix (exit 2)", () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "10", "--convergence-timeout", "90"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain('--duration: "10" has no unit: write e.g. 10s or 10ms');
    expect(result.stderr).toContain('--convergence-timeout: "90" has no unit: write e.g. 90s or 90ms');
    expect(result.stderr).not.toContain("is not a positive duration");
  });

  it("keeps the positive-duration message for 0s and for text that is no duration", () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "0s", "--convergence-timeout", "soon"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain('--duration: "0s" is not a positive duration (use e.g. 30s, 2m)');
    expect(result.stderr).toContain('--convergence-timeout: "soon" is not a positive duration (use e.g. 30s, 2m)');
  });
});
