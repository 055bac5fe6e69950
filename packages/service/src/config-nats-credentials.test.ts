// NATS credentials as settings of their own (beside `user:password@` or a token in natsUrl): a user and
// password, a token, an NKey seed file or a credentials file, from the file (`nats.*`) or the environment
// (SYNCLAG_NATS_USER, _PASSWORD, _TOKEN, _CREDS, _NKEY_SEED_FILE — a Kubernetes Secret), one way at a
// time, and never printed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { problemsOf } from "./config-test-support.js";
import { loadServiceConfig, natsConnectOptions, redactConfig } from "./config.js";

describe("service configuration: NATS credentials", () => {
  it("has none by default: the URL's user info, if any, is what nats-feed sends", () => {
    const config = loadServiceConfig({}, {});
    expect(config.nats).toEqual({});
    expect(natsConnectOptions(config)).toEqual({ servers: ["nats://127.0.0.1:4222"] });
  });

  it("reads a user and password from the environment, hands them to connectNats and never prints them", () => {
    const config = loadServiceConfig({ natsUrl: "nats://n1:4222,nats://n2:4222" }, { SYNCLAG_NATS_USER: "svc", SYNCLAG_NATS_PASSWORD: "s3cret-pw" });
    expect(config.nats).toEqual({ user: "svc", password: "s3cret-pw" });
    expect(natsConnectOptions(config)).toEqual({ servers: ["nats://n1:4222", "nats://n2:4222"], user: "svc", pass: "s3cret-pw" });
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain("s3cret-pw");
    expect(printed).not.toContain("svc");
  });

  it("reads a token, a credentials file or an NKey seed file from the file or the environment (the environment wins)", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-nats-"));
    const file = join(dir, "engine.yaml");
    writeFileSync(file, "nats:\n  credsFile: /etc/synclag/engine.creds\n");
    expect(natsConnectOptions(loadServiceConfig({ config: file }, {}))).toMatchObject({ credsFile: "/etc/synclag/engine.creds" });
    expect(natsConnectOptions(loadServiceConfig({ config: file }, { SYNCLAG_NATS_CREDS: "/run/secrets/nats.creds" }))).toMatchObject({ credsFile: "/run/secrets/nats.creds" });
    expect(natsConnectOptions(loadServiceConfig({}, { SYNCLAG_NATS_NKEY_SEED_FILE: "/run/secrets/seed" }))).toMatchObject({ nkeySeedFile: "/run/secrets/seed" });
    const token = loadServiceConfig({}, { SYNCLAG_NATS_TOKEN: "t0ken-value" });
    expect(natsConnectOptions(token)).toMatchObject({ token: "t0ken-value" });
    expect(JSON.stringify(redactConfig(token))).not.toContain("t0ken-value");
  });

  it("refuses two ways of authenticating, a password without a user and an unknown key, every problem at once and no secret quoted", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-nats-"));
    const file = join(dir, "engine.yaml");
    writeFileSync(file, "nats:\n  token: file-t0ken\n  pasword: typo\n");
    const problems = problemsOf(() => loadServiceConfig({ config: file }, { SYNCLAG_NATS_USER: "svc", SYNCLAG_NATS_PASSWORD: "s3cret-pw" }));
    const text = problems.join("\n");
    expect(text).toMatch(/nats: .*user and password.*token.*one way/);
    expect(text).toMatch(/nats.*pasword/);
    expect(text).not.toMatch(/s3cret-pw|file-t0ken/);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_NATS_PASSWORD: "s3cret-pw" })).join("\n")).toMatch(/SYNCLAG_NATS_PASSWORD|nats\.password.*needs a user/);
  });
});
