// The engine service connects to a NATS server that requires a user and password given as settings of
// their own (SYNCLAG_NATS_USER / SYNCLAG_NATS_PASSWORD, e.g. from a Kubernetes Secret) — not only in the
// URL — and never prints them; credentials that contradict the URL's are a configuration problem (exit 2),
// not an unreachable server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type ServerProcess } from "@synclag/testkit";
import { EngineService, ServiceError, freePort, loadServiceConfig, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

const PASSWORD = "n@ts s3cret/pw";

describe.skipIf(serversMissing())("NATS credentials settings", () => {
  let nats: ServerProcess;
  let redis: PrivateServer;
  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNatsServer({ extraArgs: ["--user", "svc", "--pass", PASSWORD] }), startPrivateRedis()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("connects with SYNCLAG_NATS_USER and SYNCLAG_NATS_PASSWORD, and the start-up line redacts both", async () => {
    const config = loadServiceConfig({ natsUrl: `nats://127.0.0.1:${nats.port}`, redisUrl: redis.url, port: String(await freePort()), reconcileInterval: "0", shutdownTimeout: "5s" }, { SYNCLAG_NATS_USER: "svc", SYNCLAG_NATS_PASSWORD: PASSWORD });
    const log = captureLog("info");
    const service = await EngineService.start({ config, logger: log.logger });
    try {
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      expect(log.text()).not.toContain("s3cret");
      const start = log.lines.find((line) => line.msg === "starting the synclag engine") as { config?: { nats?: unknown } } | undefined;
      expect(start?.config?.nats).toEqual({ user: "[redacted]", password: "[redacted]" });
    } finally {
      await service.stop();
    }
  }, 30_000);

  it("refuses credentials in the URL that differ from the settings as a configuration problem, quoting neither", async () => {
    const config = loadServiceConfig({ natsUrl: `nats://other:pw-in-url@127.0.0.1:${nats.port}`, redisUrl: redis.url, port: String(await freePort()), reconcileInterval: "0", shutdownTimeout: "5s" }, { SYNCLAG_NATS_USER: "svc", SYNCLAG_NATS_PASSWORD: PASSWORD });
    const log = captureLog("info");
    const error = await EngineService.start({ config, logger: log.logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).reason).toBe("config");
    expect((error as ServiceError).message).toMatch(/different credentials/);
    expect(`${(error as ServiceError).message} ${log.text()}`).not.toMatch(/s3cret|pw-in-url/);
  }, 30_000);
});
