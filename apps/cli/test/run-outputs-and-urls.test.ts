// `synclag run` refuses, before starting anything: a --json that is the --scenario file (found by
// review: the result document replaced the scenario), and a websocket --nats-url (the flag used to be
// advertised, but nats.js's Node transport refuses ws:/wss: at connect, so the run failed with exit 4).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli, scratchDirs } from "./support.js";

const dir = scratchDirs()("synclag-run-outputs-");

describe("synclag run: outputs and server URLs checked before the run", LONG, () => {
  it("refuses --json onto its own --scenario file (exit 2) and leaves the scenario as it was", () => {
    const file = join(dir, "mine.yaml");
    const text = SMALL_SCENARIO.join("\n");
    writeFileSync(file, text);
    const result = runCli(["run", "--scenario", file, "--strategy", "events", "--duration", "3s", "--json", file]);
    expect(readFileSync(file, "utf8")).toBe(text);
    expectUsageError(result, "run");
    expect(result.stderr).toContain("the --scenario file");
  });
  it("refuses a websocket --nats-url with the schemes it takes (exit 2)", () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "3s", "--nats-url", "ws://127.0.0.1:14334"]);
    expectUsageError(result, "run");
    expect(result.stderr).toMatch(/--nats-url[^\n]*ws:\/\/127\.0\.0\.1:14334/);
    expect(result.stderr).toMatch(/nats:|tls:/);
  });
});
