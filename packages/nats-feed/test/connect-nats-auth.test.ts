// connectNats against a nats-server that requires credentials. Found by review: nats.js 3.x ignores
// credentials in the URL (`nats://svc:pw@host:4222`) and connectNats passed none, so an engine pointed
// at a server started with --user/--pass failed with "Authorization Violation" (exit 4) whatever it
// was given. Credentials now come from the URL's user info (user:pass, or a lone token; percent-
// decoded) or from options (user/pass, token, an NKey seed file, a credentials file) — one set, never
// echoed: no error text, cause or server name the connection reports holds the secret.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { ServerProcess, natsUrl, startNatsServer } from "@synclag/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsFeedError, connectNats, type ConnectNatsOptions } from "../src/index.js";
import { natsAuthentication } from "../src/connect-nats.js";
import { natsMissing } from "./support.js";

/** A password with every character that needs percent-encoding in a URL's user info. */
const PASSWORD = "n@ts:S3c/ret%?#";
const TOKEN = "t0k3n:w@th/odd#chars";

/** Every text of an error and its causes (message and stack), to look for a leaked secret. */
function allText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e));
  }
  return parts.join("\n");
}

async function failure(options: ConnectNatsOptions): Promise<NatsFeedError> {
  const error = await connectNats({ timeoutMs: 3_000, ...options }).then(
    async (connection) => {
      await connection.close();
      return new Error("connected, but it should not have");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NatsFeedError);
  return error as NatsFeedError;
}

function withUserInfo(url: string, userinfo: string): string {
  return url.replace("nats://", `nats://${userinfo}@`);
}

/** A NATS JWT (header.claims.signature, ed25519-nkey) for operator-mode test servers. */
function natsJwt(signer: ReturnType<typeof nkeys.createOperator>, subject: string, nats: object): string {
  const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");
  const header = base64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims: Record<string, unknown> = { iat: 1_700_000_000, iss: signer.getPublicKey(), name: "synclag-test", sub: subject, nats };
  claims.jti = createHash("sha256").update(JSON.stringify(claims)).digest("base64url");
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${base64url(signer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

describe("natsAuthentication: credentials from the server URLs and the options", () => {
  it("takes user:password from the URL, percent-decoded, and gives nats.js the URL without them", () => {
    const auth = natsAuthentication({ servers: `nats://svc:${encodeURIComponent(PASSWORD)}@10.0.0.1:4222` });
    expect(auth.servers).toEqual(["nats://10.0.0.1:4222"]);
    expect(auth.credentials).toEqual({ kind: "user", user: "svc", pass: PASSWORD, from: "the server URL" });
  });

  it("takes a lone user info as a token, and the same credentials on every server of a list once", () => {
    const token = encodeURIComponent(TOKEN);
    const auth = natsAuthentication({ servers: [`nats://${token}@a:4222`, "nats://b:4222", `tls://${token}@c:4443`] });
    expect(auth.servers).toEqual(["nats://a:4222", "nats://b:4222", "tls://c:4443"]);
    expect(auth.credentials).toEqual({ kind: "token", token: TOKEN, from: "the server URL" });
  });

  it("leaves URLs without user info alone (bare host:port too) and asks for no credentials", () => {
    expect(natsAuthentication({ servers: ["127.0.0.1:4222", "nats://[::1]:4222"] })).toEqual({ servers: ["127.0.0.1:4222", "nats://[::1]:4222"], credentials: undefined });
  });

  it("takes explicit options, and URL credentials that agree with them", () => {
    expect(natsAuthentication({ servers: "nats://h:4222", user: "svc", pass: PASSWORD }).credentials).toEqual({ kind: "user", user: "svc", pass: PASSWORD, from: "the options" });
    expect(natsAuthentication({ servers: "nats://h:4222", token: TOKEN }).credentials).toEqual({ kind: "token", token: TOKEN, from: "the options" });
    expect(natsAuthentication({ servers: `nats://svc:${encodeURIComponent(PASSWORD)}@h:4222`, user: "svc", pass: PASSWORD }).credentials?.kind).toBe("user");
    expect(natsAuthentication({ servers: "nats://h:4222", credsFile: "/etc/nats/engine.creds" }).credentials).toEqual({ kind: "creds-file", path: "/etc/nats/engine.creds" });
    expect(natsAuthentication({ servers: "nats://h:4222", nkeySeedFile: "/etc/nats/engine.nk" }).credentials).toEqual({ kind: "nkey-seed-file", path: "/etc/nats/engine.nk" });
  });

  it.each([
    ["different passwords on two servers", { servers: [`nats://svc:${encodeURIComponent(PASSWORD)}x@a:4222`, `nats://svc:${encodeURIComponent(PASSWORD)}@b:4222`] }, /servers 1 \(nats:\/\/a:4222\) and 2 \(nats:\/\/b:4222\) carry different credentials/],
    ["a password with reserved characters not percent-encoded", { servers: ["nats://a:4222", `nats://svc:${PASSWORD}@b:4222`] }, /server 2: its URL holds an "@" outside the user info/],
    ["a user on one server, a token on another", { servers: ["nats://svc:pw@a:4222", `nats://${encodeURIComponent(TOKEN)}@b:4222`] }, /different credentials/],
    ["URL credentials that contradict the options", { servers: `nats://svc:${encodeURIComponent(PASSWORD)}@a:4222`, user: "svc", pass: `${PASSWORD}2` }, /the server URL and the options carry different credentials/],
    ["a token and a user", { servers: "nats://a:4222", user: "svc", pass: PASSWORD, token: TOKEN }, /one way of authenticating/],
    ["a password without a user", { servers: "nats://a:4222", pass: PASSWORD }, /a password without a user/],
    ["a password without a user in the URL", { servers: `nats://:${encodeURIComponent(PASSWORD)}@a:4222` }, /a password without a user/],
    ["a credentials file and a URL user", { servers: `nats://svc:${encodeURIComponent(PASSWORD)}@a:4222`, credsFile: "/x.creds" }, /one way of authenticating/],
    ["user info that is not valid percent-encoding", { servers: `nats://svc:%zz${encodeURIComponent(PASSWORD)}@a:4222` }, /not valid percent-encoding/],
  ] as const)("refuses %s, clearly and without the secret", (_what, options, message) => {
    let error: unknown;
    try {
      natsAuthentication(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NatsFeedError);
    expect((error as NatsFeedError).reason).toBe("invalid-options");
    expect((error as Error).message).toMatch(message);
    for (const secret of [PASSWORD, TOKEN, encodeURIComponent(PASSWORD)]) expect(allText(error)).not.toContain(secret);
  });
});

describe.skipIf(natsMissing !== undefined)("connectNats to a nats-server started with --user and --pass", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startNatsServer({ extraArgs: ["--user", "svc", "--pass", PASSWORD] });
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("connects with the user and password in the URL (percent-encoded there), and the connection names the server without them", async () => {
    const connection = await connectNats({ servers: withUserInfo(natsUrl(server), `svc:${encodeURIComponent(PASSWORD)}`), timeoutMs: 3_000 });
    try {
      expect(connection.info?.server_id).toBeTruthy();
      expect(connection.getServer()).not.toContain("svc:");
      await connection.flush();
    } finally {
      await connection.close();
    }
  });

  it("connects with user and pass given as options", async () => {
    const connection = await connectNats({ servers: natsUrl(server), user: "svc", pass: PASSWORD, timeoutMs: 3_000 });
    await connection.close();
  });

  it("a wrong or missing password fails at once as `unauthorized` (not retryable), saying where the credentials came from and never what they are", async () => {
    const wrong = await failure({ servers: withUserInfo(natsUrl(server), `svc:${encodeURIComponent(`${PASSWORD}x`)}`) });
    expect(wrong.reason).toBe("unauthorized");
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).toMatch(/Authorization Violation.*user and password from the server URL/);
    expect(allText(wrong)).not.toContain(PASSWORD);
    expect(allText(wrong)).not.toContain(encodeURIComponent(PASSWORD));
    const none = await failure({ servers: natsUrl(server) });
    expect(none.reason).toBe("unauthorized");
    expect(none.message).toMatch(/requires credentials and none were given/);
  });
});

describe.skipIf(natsMissing !== undefined)("connectNats to a nats-server started with --auth (token)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startNatsServer({ extraArgs: ["--auth", TOKEN] });
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("connects with the token as the URL's user info, or as an option", async () => {
    const fromUrl = await connectNats({ servers: withUserInfo(natsUrl(server), encodeURIComponent(TOKEN)), timeoutMs: 3_000 });
    await fromUrl.close();
    const fromOption = await connectNats({ servers: natsUrl(server), token: TOKEN, timeoutMs: 3_000 });
    await fromOption.close();
  });

  it("a wrong token fails as `unauthorized` without echoing either token", async () => {
    const wrong = await failure({ servers: withUserInfo(natsUrl(server), "not-the-token") });
    expect(wrong.reason).toBe("unauthorized");
    expect(wrong.message).toMatch(/token from the server URL/);
    expect(allText(wrong)).not.toContain("not-the-token");
    expect(allText(wrong)).not.toContain(TOKEN);
  });
});

describe.skipIf(natsMissing !== undefined)("connectNats with an NKey seed file or a credentials file", () => {
  const user = nkeys.createUser();
  let server: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "synclag-nats-auth-"));
    const config = join(dir, "server.conf");
    writeFileSync(config, `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    server = await startNatsServer({ extraArgs: ["-c", config] });
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("connects with the NKey seed read from a file", async () => {
    const seedFile = join(dir, "engine.nk");
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
    const connection = await connectNats({ servers: natsUrl(server), nkeySeedFile: seedFile, timeoutMs: 3_000 });
    await connection.close();
  });

  it("connects with a credentials file (user JWT + seed) to a server in operator mode", async () => {
    const operator = nkeys.createOperator();
    const account = nkeys.createAccount();
    const operatorJwt = natsJwt(operator, operator.getPublicKey(), { type: "operator", version: 2 });
    const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
    const accountJwt = natsJwt(operator, account.getPublicKey(), { type: "account", version: 2, limits });
    const userJwt = natsJwt(account, user.getPublicKey(), { type: "user", version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
    const config = join(dir, "operator.conf");
    writeFileSync(config, `operator: ${operatorJwt}\nresolver: MEMORY\nresolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n}\n`);
    const credsFile = join(dir, "engine.creds");
    const seed = new TextDecoder().decode(user.getSeed());
    writeFileSync(credsFile, `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`, { mode: 0o600 });
    const operatorServer = await ServerProcess.start({ binary: "nats-server", debianPackage: "nats-server", args: (port) => ["-a", "127.0.0.1", "-p", String(port), "-c", config] });
    try {
      const url = `nats://127.0.0.1:${operatorServer.port}`;
      const connection = await connectNats({ servers: url, credsFile, timeoutMs: 3_000 });
      await connection.flush();
      await connection.close();
      expect((await failure({ servers: url })).reason).toBe("unauthorized");
    } finally {
      await operatorServer.dispose();
    }
  });

  it("a missing file, or one that holds no seed / no credentials, fails before connecting, naming the file but not its content", async () => {
    const missing = await failure({ servers: natsUrl(server), nkeySeedFile: join(dir, "absent.nk") });
    expect(missing.reason).toBe("invalid-options");
    expect(missing.message).toMatch(/cannot read the NKey seed file .*absent\.nk/);
    const garbage = join(dir, "garbage.txt");
    writeFileSync(garbage, "SUAnot-a-seed-but-secret-looking\n");
    const notSeed = await failure({ servers: natsUrl(server), nkeySeedFile: garbage });
    expect(notSeed.reason).toBe("invalid-options");
    expect(notSeed.message).toMatch(/garbage\.txt does not hold an NKey seed/);
    expect(allText(notSeed)).not.toContain("secret-looking");
    const notCreds = await failure({ servers: natsUrl(server), credsFile: garbage });
    expect(notCreds.reason).toBe("invalid-options");
    expect(notCreds.message).toMatch(/garbage\.txt is not a NATS credentials file/);
    expect(allText(notCreds)).not.toContain("secret-looking");
  });
});
