// Values that must not be misread: durations need their unit (a bare 30 is not 30 ms), durations that
// make no sense at 0 are refused at validation (exit 2, not a failure once connected), and NATS takes
// a list of servers (cluster seeds) as connectNats does.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { loadServiceConfig, natsServers } from "./config.js";

describe("durations need a unit", () => {
  it("refuses SYNCLAG_SHUTDOWN_TIMEOUT=30 (it would be 30 ms: every shutdown overruns) and says how to write it", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_SHUTDOWN_TIMEOUT: "30" }))).toEqual(['SYNCLAG_SHUTDOWN_TIMEOUT (shutdownTimeout): "30" has no unit: write e.g. 30s or 30ms']);
    expect(problemsOf(() => loadServiceConfig({ reconcileInterval: "900" }, {}))).toEqual(['--reconcile-interval (reconcileInterval): "900" has no unit: write e.g. 900s or 900ms']);
    expect(loadServiceConfig({ shutdownTimeout: "30s", reconcileInterval: "0" }, {})).toMatchObject({ shutdownTimeout: 30_000, reconcileInterval: 0 });
  });

  it("refuses a bare number for a duration in the config file, every one listed", () => {
    const path = file("engine.yaml", "reconcileInterval: 600000\nshutdownTimeout: 20\nfeed:\n  ackWait: 30000\nchannels:\n  - kind: shopify\n    baseUrl: http://127.0.0.1:9002\n    batchLinger: 250\n");
    expect(problemsOf(() => loadServiceConfig({ config: path }, {}))).toEqual([
      'reconcileInterval: 600000 has no unit: write it with one, e.g. "600000ms" or "600000s"',
      'shutdownTimeout: 20 has no unit: write it with one, e.g. "20ms" or "20s"',
      'feed.ackWait: 30000 has no unit: write it with one, e.g. "30000ms" or "30000s"',
      'channels.0.batchLinger: 250 has no unit: write it with one, e.g. "250ms" or "250s"',
    ]);
    const ok = file("ok.yaml", "reconcileInterval: 10m\nfeed:\n  ackWait: 45s\nchannels:\n  - kind: shopify\n    baseUrl: http://127.0.0.1:9002\n    batchLinger: 0\n");
    expect(loadServiceConfig({ config: ok }, {})).toMatchObject({ reconcileInterval: 600_000, feed: { ackWait: 45_000 }, channels: [{ batchLinger: 0 }] });
  });
});

describe("durations that make no sense at zero", () => {
  it("refuses feed.ackWait: 0 as a configuration problem (exit 2), not later as an environment failure (exit 4)", () => {
    const path = file("engine.yaml", "feed:\n  ackWait: 0s\n");
    expect(problemsOf(() => loadServiceConfig({ config: path }, {}))).toEqual([expect.stringMatching(/^feed\.ackWait: must be more than 0/)]);
  });
});

describe("NATS server lists", () => {
  it("accepts a comma-separated list of servers (cluster seeds) and checks each", () => {
    const config = loadServiceConfig({}, { SYNCLAG_NATS_URL: "nats://n1:4222, nats://n2:4222" });
    expect(natsServers(config.natsUrl)).toEqual(["nats://n1:4222", "nats://n2:4222"]);
    expect(problemsOf(() => loadServiceConfig({ natsUrl: "nats://n1:4222,http://n2:4222" }, {}))).toEqual([expect.stringMatching(/^--nats-url \(natsUrl\): .*"http:\/\/n2:4222".*nats:\/\/ or tls:\/\//)]);
    expect(problemsOf(() => loadServiceConfig({ natsUrl: "nats://n1:4222,," }, {}))).toEqual([expect.stringMatching(/^--nats-url \(natsUrl\): .*empty/)]);
  });
});

describe("NATS URL credentials are checked with the configuration", () => {
  it("refuses servers of one list with different credentials as a configuration problem (exit 2), never echoing them (found by re-review)", () => {
    const problems = problemsOf(() => loadServiceConfig({ natsUrl: "nats://u:p1@127.0.0.1:4222,nats://u:q2@127.0.0.1:4223" }, {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^--nats-url \(natsUrl\): .*credentials/);
    expect(problems.join("\n")).not.toMatch(/p1|q2/);
    expect(loadServiceConfig({ natsUrl: "nats://u:p1@127.0.0.1:4222,nats://u:p1@127.0.0.1:4223" }, {}).natsUrl).toContain("127.0.0.1:4223");
  });
});
