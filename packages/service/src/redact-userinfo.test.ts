// URL user info that holds whitespace, an unencoded "@", percent-encoding or a line break is redacted whole:
// from the start-up config line (parsed as the clients parse it) and from any text (error messages,
// log lines). Found by review: `redis://app:correct horse@db:6379` was printed in clear.
import { describe, expect, it } from "vitest";
import { createClient } from "redis";
import { natsAuthentication } from "@synclag/nats-feed";
import { problemsOf } from "./config-test-support.js";
import { loadServiceConfig, natsServers, redactConfig } from "./config.js";
import { redactError, redactUrlCredentials, redactUrlValue, redactedMessage } from "./redact.js";

describe("redactUrlCredentials: user info with whitespace and other odd characters", () => {
  it("redacts a Redis password that holds a space, alone and inside a message", () => {
    expect(redactUrlCredentials("redis://app:correct horse@db.example:6379")).toBe("redis://[redacted]@db.example:6379");
    expect(redactUrlCredentials("redis://:correct horse battery@db.example:6379/0")).toBe("redis://[redacted]@db.example:6379/0");
    expect(redactUrlCredentials("cannot connect to Redis at redis://app:correct horse@db.example:6379: connect ECONNREFUSED 10.0.0.7:6379")).toBe(
      "cannot connect to Redis at redis://[redacted]@db.example:6379: connect ECONNREFUSED 10.0.0.7:6379",
    );
    expect(redactUrlCredentials("rediss://app:pa\tss word@db.example:6380")).toBe("rediss://[redacted]@db.example:6380");
  });

  it("redacts NATS URLs: a token alone before @, a server list with commas (and spaces), percent-encoding", () => {
    expect(redactUrlCredentials("nats://my token@n1:4222")).toBe("nats://[redacted]@n1:4222");
    expect(redactUrlCredentials("nats://s3cr3t@n1:4222,nats://s3cr3t@n2:4222")).toBe("nats://[redacted]@n1:4222,nats://[redacted]@n2:4222");
    expect(redactUrlCredentials("nats://svc:p ss@n1:4222, nats://svc:p ss@n2:4222")).toBe("nats://[redacted]@n1:4222, nats://[redacted]@n2:4222");
    expect(redactUrlCredentials("nats://n1:4222,nats://svc:p ss@n2:4222")).toBe("nats://n1:4222,nats://[redacted]@n2:4222");
    expect(redactUrlCredentials("tls://svc:p%40ss%20x@n1:4222")).toBe("tls://[redacted]@n1:4222");
    // An unencoded "@" in a password that also holds a space: to the last "@" before the host.
    expect(redactUrlCredentials("nats://svc:p@ss word@n1:4222")).toBe("nats://[redacted]@n1:4222");
  });

  it("is applied to error messages, stacks and causes that embed such URLs", () => {
    const error = new Error("connecting to nats://svc:p ss@n1:4222 failed", { cause: new Error("AUTH redis://app:correct horse@db:6379") });
    expect(redactedMessage(error)).toBe("connecting to nats://[redacted]@n1:4222 failed");
    const copy = redactError(error);
    expect(`${copy.message}\n${copy.stack ?? ""}\n${(copy.cause as Error).message}\n${(copy.cause as Error).stack ?? ""}`).not.toMatch(/p ss|horse/);
  });

  it("leaves text without user info readable, line by line", () => {
    expect(redactUrlCredentials("servers nats://n1:4222, nats://n2:4222 up; redis://db:6379/0 up")).toBe("servers nats://n1:4222, nats://n2:4222 up; redis://db:6379/0 up");
    expect(redactUrlCredentials("see http://h/x@y and a@b.test, owner=ops@example.com")).toBe("see http://h/x@y and a@b.test, owner=ops@example.com");
    // A line break ends a URL: the "@" of the next line is not its user info.
    expect(redactUrlCredentials("nats://n1:4222 refused\n    reported by ops@example.com")).toBe("nats://n1:4222 refused\n    reported by ops@example.com");
  });

  it("redacts a user and password typed without a scheme, a space in the password", () => {
    expect(redactUrlCredentials("amazon=user:hunter 2@sellers.example")).toBe("amazon=[redacted]@sellers.example");
  });
});

describe("the start-up config line: URL credentials as the clients read them", () => {
  it("does not print a Redis password that holds a space (accepted: node-redis reads it as typed)", () => {
    const config = loadServiceConfig({}, { SYNCLAG_REDIS_URL: "redis://app:correct horse@db.example:6379" });
    // The decision to accept it: the client takes the password with its space.
    const client = createClient({ url: config.redisUrl }) as unknown as { options?: { password?: string } };
    expect(client.options?.password).toBe("correct horse");
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toMatch(/correct|horse|app:/);
    expect(printed).toContain('"redisUrl":"redis://[redacted]@db.example:6379"');
  });

  it("does not print a NATS password or token with a space, on every server of the list (accepted: nats-feed decodes it as typed)", () => {
    const natsUrl = "nats://svc:p ss@n1:4222,nats://svc:p ss@n2:4222";
    const config = loadServiceConfig({}, { SYNCLAG_NATS_URL: natsUrl });
    expect(natsAuthentication({ servers: natsServers(config.natsUrl) }).credentials).toMatchObject({ kind: "user", user: "svc", pass: "p ss" });
    expect(JSON.stringify(redactConfig(config))).toContain('"natsUrl":"nats://[redacted]@n1:4222,nats://[redacted]@n2:4222"');
    const token = loadServiceConfig({}, { SYNCLAG_NATS_URL: "nats://my token@n1:4222" });
    expect(JSON.stringify(redactConfig(token))).toContain('"natsUrl":"nats://[redacted]@n1:4222"');
  });

  it("refuses a tab or line break inside a NATS or Redis URL (the URL parser drops it: the password sent is not the one typed), quoting neither", () => {
    const redis = "redis://app:pass\nword@db.example:6379";
    expect(createClient({ url: redis }) as unknown as { options?: { password?: string } }).toMatchObject({ options: { password: "password" } });
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_REDIS_URL: redis }))).toEqual(["SYNCLAG_REDIS_URL (redisUrl): holds a tab or line break, which URL parsers drop (the password sent would not be the one typed): remove it, or percent-encode it (%09, %0A, %0D)"]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_NATS_URL: "nats://n1:4222,nats://svc:p\tss@n2:4222" }))).toEqual([
      'SYNCLAG_NATS_URL (natsUrl): server 2 holds a tab or line break, which URL parsers drop (the password sent would not be the one typed): remove it, or percent-encode it (%09, %0A, %0D)',
    ]);
    // Around the URL, as an env file or a Secret leaves it: trimmed by the parser, accepted as before.
    expect(loadServiceConfig({}, { SYNCLAG_REDIS_URL: "redis://db.example:6379\n", SYNCLAG_NATS_URL: "nats://n1:4222\n" }).redisUrl).toBe("redis://db.example:6379\n");
  });

  it("redactConfig redacts user info the URL parser reads across a line break (a configuration built in code)", () => {
    const printed = JSON.stringify(redactConfig({ redisUrl: "redis://app:pass\nword@db.example:6379", natsUrl: "nats://n1:4222,nats://tok\ten@n2:4222" }));
    expect(printed).not.toMatch(/pass|word|app:|tok|en@/);
    expect(JSON.parse(printed)).toEqual({ redisUrl: "redis://[redacted]@db.example:6379", natsUrl: "nats://n1:4222,nats://[redacted]@n2:4222" });
    expect(redactUrlValue("redis://app:pass\nword@db.example:6379/0?x=1")).toBe("redis://[redacted]@db.example:6379/0?x=1");
  });

  it("a config problem that quotes a NATS server never shows its spaced password", () => {
    const problems = problemsOf(() => loadServiceConfig({}, { SYNCLAG_NATS_URL: "nats://n1:4222,http://svc:p ss@n2:4222" }));
    expect(problems.join("\n")).toMatch(/"http:\/\/\[redacted\]@n2:4222" must be a nats:\/\/ or tls:\/\/ URL/);
    expect(problems.join("\n")).not.toContain("p ss");
  });
});
