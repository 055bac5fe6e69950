// A stop asked for while the engine is still starting (SIGTERM during a slow connect) aborts the start:
// it rejects at once with reason "aborted", and what had started is stopped — no NATS connection left.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { startNatsServer, type ServerProcess } from "@synclag/testkit";
import { EngineService, ServiceError, freePort, serviceConfigSchema } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("engine start aborted by a stop request", () => {
  let nats: ServerProcess | undefined;
  let silent: Server | undefined;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    await nats?.dispose();
  });

  it("rejects at once while Redis is still connecting, and closes the NATS connection it had opened", async () => {
    const monitorPort = await freePort();
    nats = await startNatsServer({ extraArgs: ["-m", String(monitorPort)] });
    // A "Redis" that takes connections and never answers: the store's connect waits for its timeout.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent?.listen(0, "127.0.0.1", resolve));
    const redisUrl = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const config = serviceConfigSchema.parse({ natsUrl: `nats://127.0.0.1:${nats.port}`, redisUrl, ingest: { port: await freePort() }, reconcileInterval: 0, shutdownTimeout: 5_000 });
    const controller = new AbortController();
    const log = captureLog("info");
    const starting = EngineService.start({ config, logger: log.logger, signal: controller.signal });
    starting.catch(() => undefined);
    const connections = async () => ((await (await fetch(`http://127.0.0.1:${monitorPort}/connz`)).json()) as { num_connections: number }).num_connections;
    for (const deadline = Date.now() + 10_000; (await connections()) === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connections()).toBe(1); // NATS connected; now waiting for Redis
    const abortedAt = Date.now();
    controller.abort();
    await expect(starting).rejects.toSatisfy((error) => error instanceof ServiceError && error.reason === "aborted");
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    for (const deadline = Date.now() + 3_000; (await connections()) > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connections()).toBe(0);
  }, 60_000);
});
