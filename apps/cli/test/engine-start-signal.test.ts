// SIGTERM/SIGINT while `synclag engine` is still starting (here: NATS takes the connection and never
// greets, so the start waits for its connect timeout) must not get Node's default handling (killed by
// the signal, nothing stopped): the start is aborted, what had started is stopped, one line says so,
// and the process exits 0 as for any stop.
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LONG } from "./support.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

describe("engine: a signal during start-up", LONG, () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} while connecting aborts the start, logs one line and exits 0 (not killed by the signal)`, async () => {
      if (!silent.listening) await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const port = (silent.address() as { port: number }).port;
      const child = spawn(process.execPath, [bin, "engine", "--nats-url", `nats://127.0.0.1:${port}`, "--port", "0", "--shutdown-timeout", "5s"], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, killedBy) => resolve({ code, signal: killedBy })));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
          if (stdout.includes('"msg":"starting the synclag engine"')) resolve();
        });
        void exited.then(() => reject(new Error(`exited before starting: ${stderr}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // inside the NATS connect now
      const sentAt = Date.now();
      child.kill(signal);
      const result = await exited;
      const tookMs = Date.now() - sentAt;
      const lines = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { msg?: string; signal?: string });
      expect({ ...result, fast: tookMs < 3_000 }, stderr).toEqual({ code: 0, signal: null, fast: true });
      expect(lines.filter((l) => l.signal === signal).map((l) => l.msg)).toEqual(["signal received during start-up: start aborted, what had started is stopped"]);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});
