// `synclag run` interrupted twice: the second signal (an impatient Ctrl-C, a supervisor that sends
// SIGTERM twice) must not kill the process mid-cleanup and orphan its private nats-server/redis-server.

import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SMALL_SCENARIO, scratchDirs } from "./support.js";
import { writeFileSync } from "node:fs";

const scratchDir = scratchDirs();

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

/** True while something accepts connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("synclag run, interrupted twice", () => {
  it("still stops its private servers and exits 130", { timeout: 180_000 }, async (context) => {
    const missing = ["nats-server", "redis-server"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
    if (missing.length > 0) {
      if (process.env.CI === "true") throw new Error(`${missing.join(", ")} missing: apt-get install -y nats-server redis-server`);
      context.skip(`${missing.join(", ")} not installed (apt-get install -y nats-server redis-server)`);
      return;
    }
    const file = join(scratchDir("synclag-run-signals-"), "small.yaml");
    writeFileSync(file, SMALL_SCENARIO.join("\n"));
    const child = spawn(process.execPath, [bin, "run", "--scenario", file, "--strategy", "events", "--duration", "60s"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const ports: number[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no load line within 120 s:\n${stderr}`)), 120_000);
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const servers = /servers: NATS nats:\/\/127\.0\.0\.1:(\d+), Redis redis:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
          if (servers && ports.length === 0) ports.push(Number(servers[1]), Number(servers[2]));
          if (/run: load:/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on("close", () => reject(new Error(`exited before the load:\n${stderr}`)));
      });
      expect(ports).toHaveLength(2);
      child.kill("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill("SIGINT");
      const code = await exited;
      expect(code, stderr).toBe(130);
      for (const port of ports) expect(await listening(port), `port ${port} still served after the run exited:\n${stderr}`).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
