// ServerProcess against a real nats-server: restart on the same port and directory, fail fast when
// the child exits during start, nothing left behind on failure.
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { MissingBinaryError, ServerProcess, freePort, hasBinary } from "../src/index.js";

const natsArgs = (port: number, dir: string) => ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
// A missing server in CI is a failure, not a skip.
const skip = !hasBinary("nats-server") && process.env.CI !== "true";

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => (socket.destroy(), resolve(false)));
  });
}

describe("freePort / hasBinary", () => {
  it("gives a loopback port nobody listens on", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await accepts(port)).toBe(false);
  });

  it("picks it below the kernel's ephemeral range, so a listen(0) elsewhere cannot take it before the caller listens (seen in CI as EADDRINUSE)", async () => {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port).toBeLessThan(low);
  });

  it("finds sh and not a made-up binary", () => {
    expect(hasBinary("sh")).toBe(true);
    expect(hasBinary("synclag-no-such-binary")).toBe(false);
  });

  it("refuses a missing binary with the package to install", async () => {
    const start = ServerProcess.start({ binary: "synclag-no-such-binary", debianPackage: "synclag-pkg", args: () => [] });
    await expect(start).rejects.toBeInstanceOf(MissingBinaryError);
    await expect(start).rejects.toThrow(/apt-get install -y synclag-pkg/u);
  });
});

describe.skipIf(skip)("ServerProcess (nats-server)", () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.dispose();
  });

  it("kills and restarts on the same port and directory, dispose removes the directory", async () => {
    server = await ServerProcess.start({ binary: "nats-server", debianPackage: "nats-server", args: natsArgs });
    const { port, dataDir } = server;
    const firstPid = server.pid;
    expect(server.running).toBe(true);
    expect(await accepts(port)).toBe(true);
    await expect(server.restart()).rejects.toThrow(/already running/u);

    await server.kill();
    expect(server.running).toBe(false);
    expect(await accepts(port)).toBe(false);

    await server.restart();
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(firstPid);
    expect(server.port).toBe(port);
    expect(await accepts(port)).toBe(true);

    await server.stop();
    expect(server.running).toBe(false);
    await server.dispose();
    expect(existsSync(dataDir)).toBe(false);
    server = undefined;
  });

  it("fails fast, with the output, when the child exits during start", async () => {
    const began = Date.now();
    const start = ServerProcess.start({ binary: "nats-server", debianPackage: "nats-server", args: () => ["--no-such-flag"], readyTimeoutMs: 30_000 });
    await expect(start).rejects.toThrow(/nats-server exited \(code \d+\) during start/u);
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it("times out (bounded), kills the child and removes the directory", async () => {
    // The child prints its pid and never listens: the wait must give up and leave nothing behind.
    let dir = "";
    const start = ServerProcess.start({
      binary: "sh",
      debianPackage: "dash",
      args: (_port, dataDir) => ((dir = dataDir), ["-c", "echo pid=$$ >&2; exec sleep 30"]),
      readyTimeoutMs: 300,
    });
    const error = await start.then(() => undefined, (reason: unknown) => reason as Error);
    expect(error?.message).toMatch(/not accepting connections on 127\.0\.0\.1:\d+ after 300 ms/u);
    const pid = Number(/pid=(\d+)/u.exec(error?.message ?? "")?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/u);
    expect(dir).not.toBe("");
    expect(existsSync(dir)).toBe(false);
  });
});
