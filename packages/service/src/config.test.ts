// Configuration: precedence (flags > env > file > defaults), every problem at once, redaction by key name and inside URLs.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { problemsOf } from "./config-test-support.js";
import { loadServiceConfig, redactConfig } from "./config.js";
import { redactUrlCredentials } from "./redact.js";

describe("service configuration", () => {
  it("has defaults that start an events engine on loopback", () => {
    const config = loadServiceConfig({}, {});
    expect(config).toMatchObject({ natsUrl: "nats://127.0.0.1:4222", redisUrl: "redis://127.0.0.1:6379", strategy: "events", ingest: { host: "127.0.0.1", port: 8080 }, reconcileInterval: 900_000 });
  });

  it("groups store calls by default (100 orders per script call), takes 1 to turn it off, refuses 0", () => {
    expect(loadServiceConfig({}, {}).redis).toEqual({ keyPrefix: "synclag:", maxOrdersPerCall: 100 });
    const dir = mkdtempSync(join(tmpdir(), "synclag-config-"));
    const off = join(dir, "off.yaml");
    writeFileSync(off, "redis:\n  maxOrdersPerCall: 1\n");
    expect(loadServiceConfig({ config: off }, {}).redis.maxOrdersPerCall).toBe(1);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "redis:\n  maxOrdersPerCall: 0\n");
    expect(problemsOf(() => loadServiceConfig({ config: bad }, {})).join("\n")).toMatch(/maxOrdersPerCall/);
  });

  it("takes flags over environment over the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-config-"));
    const file = join(dir, "engine.yaml");
    writeFileSync(file, "strategy: polling:5m\nreconcileInterval: 10m\ningest:\n  port: 9000\nchannels:\n  - kind: shopify\n    baseUrl: http://127.0.0.1:9100\n");
    const config = loadServiceConfig({ config: file, port: "9200" }, { SYNCLAG_STRATEGY: "polling:30s", SYNCLAG_INGEST_PORT: "9100" });
    expect(config.strategy).toBe("polling:30s");
    expect(config.ingest.port).toBe(9200);
    expect(config.reconcileInterval).toBe(600_000);
    expect(config.channels).toEqual([{ kind: "shopify", baseUrl: "http://127.0.0.1:9100" }]);
  });

  it("refuses a websocket natsUrl (the Node transport of nats.js cannot connect one), naming the schemes it takes", () => {
    for (const natsUrl of ["ws://127.0.0.1:8080", "wss://nats.example.com"]) {
      const problems = problemsOf(() => loadServiceConfig({ natsUrl }, {}));
      expect(problems.some((p) => p.includes("natsUrl") && p.includes("nats:"))).toBe(true);
    }
    expect(loadServiceConfig({ natsUrl: "tls://nats.example.com:4222" }, {}).natsUrl).toBe("tls://nats.example.com:4222");
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(() => loadServiceConfig({ natsUrl: "http://x", strategy: "sometimes", port: "99999", channel: ["amazon=not a url", "nonsense"] }, {}));
    expect(problems.some((p) => p.includes("natsUrl"))).toBe(true);
    expect(problems.some((p) => p.includes("strategy"))).toBe(true);
    expect(problems.some((p) => p.includes("ingest.port"))).toBe(true);
    // Named by the --channel entry it came from (not its place in the merged list).
    expect(problems.some((p) => p.startsWith('--channel "amazon=not a url" (baseUrl): '))).toBe(true);
    expect(problems.some((p) => p.includes("nonsense"))).toBe(true);
  });

  it("names the flag or variable the user typed, and takes a duration with its unit", () => {
    const problems = problemsOf(() => loadServiceConfig({ port: "abc", shutdownTimeout: "0" }, { SYNCLAG_RECONCILE_INTERVAL: "often" }));
    expect(problems.find((p) => p.includes("ingest.port"))).toMatch(/^--port \(ingest\.port\): /);
    expect(problems.find((p) => p.includes("shutdownTimeout"))).toMatch(/^--shutdown-timeout \(shutdownTimeout\): must be more than 0/);
    expect(problems.find((p) => p.includes("reconcileInterval"))).toMatch(/^SYNCLAG_RECONCILE_INTERVAL \(reconcileInterval\): "often" is not a duration/);
    expect(loadServiceConfig({ shutdownTimeout: "2500ms" }, {}).shutdownTimeout).toBe(2500);
  });

  it("refuses the same channel twice", () => {
    expect(problemsOf(() => loadServiceConfig({ channel: ["shopify=http://127.0.0.1:9001", "shopify=http://127.0.0.1:9002"] }, {}))).toEqual(["channels: shopify is configured twice (give each an id)"]);
  });

  it("lists a duplicate channel together with every other problem", () => {
    const problems = problemsOf(() => loadServiceConfig({ port: "abc", channel: ["shopify=http://a.test", "shopify=not a url"] }, {}));
    expect(problems.some((p) => p.startsWith("--port (ingest.port)"))).toBe(true);
    expect(problems.some((p) => p.startsWith('--channel "shopify=not a url" (baseUrl): '))).toBe(true);
    expect(problems).toContain("channels: shopify is configured twice (give each an id)");
  });

  it("checks the strategy with the engine's parser (1 s polling minimum) together with every other problem", () => {
    const problems = problemsOf(() => loadServiceConfig({ strategy: "polling:500ms", port: "abc" }, {}));
    expect(problems.some((p) => p.startsWith("--port (ingest.port)"))).toBe(true);
    expect(problems.find((p) => p.startsWith("--strategy (strategy)"))).toMatch(/at least 1s/);
    expect(loadServiceConfig({ strategy: "polling:1s" }, {}).strategy).toBe("polling:1s");
  });

  it("redacts secrets by key name and passwords inside URLs", () => {
    const redacted = redactConfig({ redisUrl: "redis://user:hunter2@db:6379", channels: [{ kind: "shopify", credentials: { accessToken: "shpat_x" }, notificationSecret: "s3cret" }] });
    expect(JSON.stringify(redacted)).not.toMatch(/hunter2|shpat_x|s3cret/);
    expect(redacted).toMatchObject({ redisUrl: "redis://[redacted]@db:6379", channels: [{ kind: "shopify", credentials: { accessToken: "[redacted]" }, notificationSecret: "[redacted]" }] });
  });

  it("redacts URL credentials anywhere in a text, and several URLs in one value", () => {
    expect(redactUrlCredentials("cannot connect to NATS: connecting to nats://natsuser:natspw@127.0.0.1:14999: connection refused")).toBe("cannot connect to NATS: connecting to nats://[redacted]@127.0.0.1:14999: connection refused");
    expect(redactConfig({ natsUrl: "nats://a:pw1@h1:4222,nats://tok@h2:4222" })).toEqual({ natsUrl: "nats://[redacted]@h1:4222,nats://[redacted]@h2:4222" });
    expect(redactUrlCredentials("see http://h/x@y and a@b.test")).toBe("see http://h/x@y and a@b.test");
  });

  it("redacts a password holding an unencoded @ in full", () => {
    expect(redactConfig({ redisUrl: "redis://:p@ss@db:6379/0" })).toEqual({ redisUrl: "redis://[redacted]@db:6379/0" });
  });

  it("never echoes a password from a --channel or SYNCLAG_CHANNELS entry it refuses, but still names the entry", () => {
    const flag = problemsOf(() => loadServiceConfig({ channel: ["Amazon=https://user:hunter2@sellers.example"] }, {}));
    expect(flag.join("\n")).not.toContain("hunter2");
    expect(flag).toEqual(['--channel: "Amazon=https://[redacted]@sellers.example" is not kind=baseUrl or id:kind=baseUrl']);
    const env = problemsOf(() => loadServiceConfig({}, { SYNCLAG_CHANNELS: "amazon=http://u:pw1@127.0.0.1:9001,bad spec https://u:pw2@b" }));
    expect(env.join("\n")).not.toMatch(/pw1|pw2/);
    expect(env).toEqual(['SYNCLAG_CHANNELS: "bad spec https://[redacted]@b" is not kind=baseUrl or id:kind=baseUrl']);
    expect(problemsOf(() => loadServiceConfig({ channel: ["amazon=http://127.0.0.1:9001", "user:pw3@host"] }, {}))).toEqual(['--channel: "[redacted]@host" is not kind=baseUrl or id:kind=baseUrl']);
  });

  it("reports a YAML syntax error on a credentials line by file, line, column and code, never quoting the line", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-config-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, 'redisUrl: redis://:S3cretPw@db:6379\nchannels:\n  - kind: shopify\n    baseUrl: https://x\n    credentials: {accessToken: "shpat_SECRET"\n');
    let message = "";
    try {
      loadServiceConfig({ config: file }, {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/shpat_SECRET|S3cretPw|accessToken/);
    expect(message).toMatch(new RegExp(`config file ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: YAML syntax error at line \\d+, column \\d+ \\([A-Z_]+\\)`));
    const unterminated = join(dir, "quote.yaml");
    writeFileSync(unterminated, 'channels:\n  - kind: shopify\n    baseUrl: https://x\n    credentials:\n      accessToken: "shpat_QUOTE\n');
    expect(problemsOf(() => loadServiceConfig({ config: unterminated }, {})).join("\n")).not.toContain("shpat_QUOTE");
  });

  it("reports a JSON syntax error by position only, never quoting the text", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-config-"));
    const trailing = join(dir, "trailing.json");
    writeFileSync(trailing, '{"redisUrl":"redis://:S3cretPw@db:6379", "channels":[{"kind":"shopify","baseUrl":"https://x","credentials":{"accessToken":"shpat_SECRET"}}],}');
    expect(problemsOf(() => loadServiceConfig({ config: trailing }, {}))).toEqual([`config file ${trailing}: JSON syntax error at line 1, column 141: expected double-quoted property name`]);
    // V8 quotes the text for an unexpected token ("…hunter2…" is not valid JSON) and gives no position.
    const bare = join(dir, "bare.json");
    writeFileSync(bare, '{\n  "channels": [{"kind": "shopify", "baseUrl": "https://x",\n    "credentials": {"accessToken": shpat_BARE}}]\n}');
    expect(problemsOf(() => loadServiceConfig({ config: bare }, {}))).toEqual([`config file ${bare}: JSON syntax error at line 3, column 36: unexpected character`]);
  });

  it("redacts secret query parameters in URLs in the printed config and in validation problems", () => {
    const secrets = { SYNCLAG_CHANNEL_SHOPIFY_CREDENTIALS: '{"accessToken":"shpat_x","apiVersion":"2025-01","locationId":"1"}', SYNCLAG_CHANNEL_SHOPIFY_NOTIFICATION_SECRET: "s" };
    const config = loadServiceConfig({ channel: ["shopify=https://shop.example/?access_token=shpat_QUERY"], redisUrl: "redis://db:6379/0?password=QPW" }, secrets);
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toMatch(/shpat_QUERY|QPW/);
    expect(printed).toContain("https://shop.example/?access_token=[redacted]");
    const problems = problemsOf(() => loadServiceConfig({ natsUrl: "http://u:natspw@h?token=T0K", redisUrl: "redis//:redispw@h", channel: ["tiktok=https://u:chanpw@x?sig=SIG"] }, {}));
    expect(problems.join("\n")).not.toMatch(/natspw|T0K|redispw|chanpw|SIG/);
    expect(problems.some((p) => p.startsWith("--nats-url (natsUrl): "))).toBe(true);
    expect(problems.some((p) => p.startsWith("--redis-url (redisUrl): "))).toBe(true);
  });

  it("checks the Redis key prefix with the store's own rule, listed with every other problem (not a failure to connect later)", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-config-"));
    const prefixProblem = (keyPrefix: unknown) => {
      const file = join(dir, "prefix.json");
      writeFileSync(file, JSON.stringify({ redis: { keyPrefix } }));
      const problems = problemsOf(() => loadServiceConfig({ config: file, port: "abc" }, {}));
      expect(problems.some((p) => p.startsWith("--port (ingest.port)")), problems.join("\n")).toBe(true);
      return problems.filter((p) => p.includes("redis.keyPrefix"));
    };
    expect(prefixProblem("{shop}:")).toEqual([expect.stringMatching(/^redis\.keyPrefix: .*must not contain "?\{"? or "?\}/u)]);
    expect(prefixProblem("shop\n")).toEqual([expect.stringMatching(/^redis\.keyPrefix: .*control characters/u)]);
    expect(prefixProblem("shop\u007f:")).toEqual([expect.stringMatching(/^redis\.keyPrefix: .*control characters/u)]);
    expect(prefixProblem(42)).toHaveLength(1);
    expect(prefixProblem("shop-a:")).toEqual([]);
    expect(prefixProblem("")).toEqual([]);
  });

  it("shows the Redis key prefix (a namespace, not a secret) but hides key-named secrets", () => {
    expect(redactConfig({ redis: { keyPrefix: "shop-a:" }, apiKey: "k1", private_key: "k2", key: "k3" })).toEqual({ redis: { keyPrefix: "shop-a:" }, apiKey: "[redacted]", private_key: "[redacted]", key: "[redacted]" });
  });
});