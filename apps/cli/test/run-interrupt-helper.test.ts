// The process-lifetime helpers `synclag run` (and `gate --real`) share, in a real process: a second
// SIGTERM while the work cleans up does not kill it (the work still ends and exits 130), and after a
// failure `exitSoon` ends the process even when a leaked handle would keep it alive.

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const helper = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "..", "src", "interrupt.ts")).href;

/** Runs a TypeScript snippet (through tsx) in its own process; resolves with its exit code and stderr. */
function runScript(source: string, onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const file = join(mkdtempSync(join(tmpdir(), "synclag-interrupt-")), "script.ts");
  writeFileSync(file, source);
  const startedAt = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "pipe", "pipe"], cwd: dirname(fileURLToPath(import.meta.url)) });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, (signal) => child.kill(signal));
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - startedAt });
    });
  });
}

describe("interruptOnSignals", () => {
  it("aborts the work at the first SIGTERM and survives a second one during the cleanup", { timeout: 60_000 }, async () => {
    const script = `
      import { EXIT_INTERRUPTED, interruptOnSignals } from ${JSON.stringify(helper)};
      const interruption = interruptOnSignals("test");
      const keepAlive = setInterval(() => undefined, 1_000);
      interruption.signal.addEventListener("abort", () => {
        // the "cleanup": long enough for a second signal to arrive in the middle of it
        setTimeout(() => {
          process.stderr.write("cleanup done\\n");
          interruption.dispose();
          clearInterval(keepAlive);
          process.exitCode = EXIT_INTERRUPTED;
        }, 1_000);
      });
      process.stderr.write("ready\\n");
    `;
    let sent = 0;
    const result = await runScript(script, (text, kill) => {
      if (sent === 0 && text.includes("ready")) {
        sent = 1;
        kill("SIGTERM");
      } else if (sent === 1 && text.includes("stopping and cleaning up")) {
        sent = 2;
        kill("SIGTERM");
      }
    });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain("test: SIGTERM: stopping and cleaning up");
    expect(result.stderr).toContain("test: SIGTERM: already stopping — the private servers are being stopped");
    expect(result.stderr).toContain("cleanup done");
  });
});

describe("exitSoon", () => {
  it("ends the process with the code even though a leaked socket would keep it alive", { timeout: 60_000 }, async () => {
    const script = `
      import { createServer } from "node:net";
      import { exitSoon } from ${JSON.stringify(helper)};
      createServer().listen(0, "127.0.0.1", () => {
        process.stderr.write("leaked a listening socket\\n");
        exitSoon(4, 300);
      });
    `;
    const result = await runScript(script);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("leaked a listening socket");
    expect(result.ms).toBeLessThan(20_000);
  });

  it("does not hold a process that ends on its own", { timeout: 60_000 }, async () => {
    const result = await runScript(`
      import { exitSoon } from ${JSON.stringify(helper)};
      exitSoon(2, 20_000);
    `);
    expect(result.code, result.stderr).toBe(2);
    expect(result.ms).toBeLessThan(15_000);
  });
});
