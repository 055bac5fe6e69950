// `synclag gate --real` stopped by Ctrl-C — SIGINT to the whole process group, as a terminal sends it,
// so the private servers get it too — at either end of the run: exit 130 and one "interrupted" line,
// never a stack trace, "server missing" (4) or a verdict. Found by review: after convergence a client
// closed under the run threw (exit 1, stack trace); during start-up the servers' own SIGINT read as
// "nats-server did not start" (exit 4).

import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

function ctrlC(when: (stderr: string, pid: number) => boolean): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, "gate", "--real", "--scenario", "flash-sale", "--duration", "10s", "--threshold", "oversells:count<100000"], { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  let sent = false;
  const pid = child.pid as number;
  const check = () => {
    if (!sent && when(stderr, pid)) {
      sent = true;
      process.kill(-pid, "SIGINT");
    }
  };
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    check();
  });
  const poll = setInterval(check, 20);
  const killer = setTimeout(() => process.kill(-pid, "SIGKILL"), 110_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

const natsRunningIn = (pgid: number) => spawnSync("pgrep", ["-g", String(pgid), "nats-server"]).status === 0;

describe("gate --real on Ctrl-C", () => {
  it("after convergence (reading the ground truth): exit 130, no stack trace, no verdict", { timeout: 120_000 }, async () => {
    const result = await ctrlC((stderr) => stderr.includes("reading ground truth"));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toMatch(/threshold(s)? passed|threshold(s)? failed/);
    expect(result.stderr).toMatch(/synclag gate: interrupted/);
    expect(result.code, result.stderr.slice(-1500)).toBe(130);
  });
  it("while the private servers start: exit 130, not 4", { timeout: 120_000 }, async () => {
    const result = await ctrlC((_, pid) => natsRunningIn(pid));
    expect(result.stderr).toMatch(/synclag gate: interrupted/);
    expect(result.code, result.stderr.slice(0, 600)).toBe(130);
  });
});
