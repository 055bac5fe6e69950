// `synclag run --nats-url` pointing at a server that accepts TCP but does not speak NATS (a Redis on a
// swapped port, 6379 for 4222): the run must say the server did not answer like NATS and exit 4 —
// it used to print "cannot connect to NATS …: timeout" and then never exit (a CI job hung until its
// own timeout), because the failed connect left its socket open.

import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startPrivateRedis } from "@synclag/service";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

describe("synclag run --nats-url at a server that is not NATS", () => {
  it("says the server did not answer like NATS and exits 4 (it used to hang)", { timeout: 90_000 }, async (context) => {
    if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
      if (process.env.CI === "true") throw new Error("redis-server missing: apt-get install -y redis-server");
      context.skip("redis-server not installed (apt-get install -y redis-server)");
      return;
    }
    const redis = await startPrivateRedis();
    try {
      const port = new URL(redis.url).port;
      const child = spawn(process.execPath, [bin, "run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "5s", "--nats-url", `nats://127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | string | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve("still running 60 s after start");
        }, 60_000);
        child.on("close", (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code, stderr).toBe(4);
      expect(stderr).toContain(`synclag run: cannot connect to NATS at nats://127.0.0.1:${port}: the server at 127.0.0.1:${port} did not answer like NATS (no INFO within 5000 ms)`);
    } finally {
      await redis.dispose();
    }
  });
});
