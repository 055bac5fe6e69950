// `synclag compare` on a scenario that lists only events: compared with the documented default,
// polling:15m, and a one-line note on stderr saying so (not a one-column "comparison").
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResultDocument } from "@synclag/sim";
import { LONG, SMALL_SCENARIO, runCli } from "./support.js";

describe("compare: a scenario with only events", () => {
  it("adds polling:15m with a note on stderr; --polling still chooses", LONG, () => {
    const file = join(mkdtempSync(join(tmpdir(), "synclag-compare-")), "events-only.yaml");
    writeFileSync(file, [...SMALL_SCENARIO, "strategies: [events]"].join("\n") + "\n");

    const result = runCli(["compare", "--scenario", file, "--json", "-"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as ResultDocument;
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["events", "polling:15m"]);
    const notes = result.stderr.split("\n").filter((l) => l.includes("lists no polling strategy"));
    expect(notes, result.stderr).toHaveLength(1);
    expect(notes[0]).toContain("--polling 15m");

    const chosen = runCli(["compare", "--scenario", file, "--polling", "5m", "--json", "-"]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect((JSON.parse(chosen.stdout) as ResultDocument).strategies.map((s) => s.strategy)).toEqual(["events", "polling:5m"]);
    expect(chosen.stderr).not.toContain("lists no polling strategy");
  });
});
