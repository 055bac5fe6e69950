// Opens a NATS connection with the settings the order feed relies on. Easy to get wrong: nats.js
// gives up reconnecting after 10 attempts by default (a longer server restart then kills the worker
// for good), and without `noAsyncTraces` every request builds a stack trace, which roughly halves
// publish throughput. nats.js reconnects silently: `onStatus` is the caller's only way to log a
// disconnect, the reconnect (with how long it took) and a connection that closed for good.
// And: a server that accepts the TCP connection but never speaks NATS (a Redis on a swapped port) makes
// nats.js time out and leave its socket open — the process never exits. So every server is first asked
// for NATS's INFO banner, within the connect timeout, on a socket of our own that is always destroyed.
// And: nats.js 3.x ignores credentials in a server URL (`nats://svc:pw@host` got "Authorization
// Violation", found by review), so they are taken out of the URLs here and given to nats.js as an
// authenticator — which also keeps the secret out of every server name nats.js reports and of the
// errors here (they name the servers without their user info).

import { readFileSync } from "node:fs";
import { connect as connectTcp } from "node:net";
import { connect, credsAuthenticator, nkeys, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator, type NatsConnection } from "@nats-io/transport-node";
import { NatsFeedError, toNatsFeedError } from "./errors.js";

/** A connection event worth one log line; `level` and `message` are ready to log as they are. */
export interface NatsConnectionEvent {
  /**
   * `disconnect`: the server connection was lost (nats.js is reconnecting, forever by default);
   * `reconnect`: connected again (`downMs` says after how long); `lame-duck`: the server is shutting
   * down and asked clients to move; `stale-connection`: the server stopped answering pings;
   * `slow-consumer`: a subscription's backlog overflowed (messages were dropped);
   * `server-error`: the server reported an error (e.g. a permission violation);
   * `closed`: the connection is closed for good (`error` when not by close()/drain()).
   */
  readonly type: "disconnect" | "reconnect" | "lame-duck" | "stale-connection" | "slow-consumer" | "server-error" | "closed";
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  /** Server address (disconnect, reconnect, lame-duck). */
  readonly server?: string;
  /** How long the connection was down (reconnect), ms. */
  readonly downMs?: number;
  /** Subject (slow-consumer) */
  readonly subject?: string;
  readonly error?: Error;
}

export interface ConnectNatsOptions {
  /**
   * One URL or several, e.g. "nats://127.0.0.1:4222". A URL may carry the credentials as its user info,
   * percent-encoded: `nats://user:password@host:4222`, or a token alone: `nats://token@host:4222`. One
   * set for the whole list (nats.js sends the same to every server): URLs with different ones are refused.
   */
  readonly servers: string | readonly string[];
  /** User name (nats-server --user, or an authorization block), with `pass`. Default: from the URL, or none. */
  readonly user?: string;
  /** Password of `user`. */
  readonly pass?: string;
  /** Token (nats-server --auth). Default: from the URL, or none. */
  readonly token?: string;
  /** Path of a file holding the user's NKey seed (`SU…`), read at every (re)connect. */
  readonly nkeySeedFile?: string;
  /** Path of a NATS credentials file (user JWT + NKey seed, as `nsc generate creds` writes it), read at every (re)connect. */
  readonly credsFile?: string;
  /** Connection name shown by the server's monitoring. */
  readonly name?: string;
  /** Reconnect attempts before giving up; -1 = forever. Default -1. */
  readonly maxReconnectAttempts?: number;
  /** Pause between reconnect attempts (ms). Default 250. */
  readonly reconnectTimeWaitMs?: number;
  /** Timeout of the first connect and the default request timeout (ms). Default 5 000. */
  readonly timeoutMs?: number;
  /**
   * Disconnect / reconnect / close and other connection events, one call each (pings and reconnect
   * attempts are not reported). Default: none. A throwing callback is ignored.
   */
  readonly onStatus?: (event: NatsConnectionEvent) => void;
}

export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const { servers, credentials } = natsAuthentication(options);
  const authenticator = credentials === undefined ? undefined : authenticatorFor(credentials);
  const timeoutMs = options.timeoutMs ?? 5_000;
  // A server that greets with something else is a misconfiguration (a Redis port, say): refused. One that
  // takes the TCP connection and stays silent is refused when it is the only hope, but in a list beside
  // one that answers like NATS it is a hung node, left to nats.js like one that is down (found by review:
  // one frozen cluster seed kept the engine from starting on the healthy one).
  const answers = await Promise.all(servers.map((server) => probeNatsServer(server, timeoutMs).then((answer) => ({ server, answer }))));
  const someAnswer = answers.some((a) => a.answer.kind === "nats" || a.answer.kind === "not-probed");
  const notNats = answers.find((a) => a.answer.kind === "not-nats") ?? (someAnswer ? undefined : answers.find((a) => a.answer.kind === "silent"));
  if (notNats) {
    const cause = new Error(describeProbeAnswer(notNats.answer, timeoutMs));
    throw new NatsFeedError("unavailable", `connecting to ${notNats.server}: ${cause.message}`, { cause });
  }
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(authenticator === undefined ? {} : { authenticator }),
      noAsyncTraces: true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
      timeout: timeoutMs,
    });
  } catch (error) {
    const context = `connecting to ${servers.join(",")}`;
    if (isAuthorizationError(error)) {
      const why =
        credentials === undefined
          ? "the server requires credentials and none were given: put them in the URL (nats://user:password@host, nats://token@host) or give user/pass, token, nkeySeedFile or credsFile"
          : `the server refused the ${describeCredentials(credentials)}`;
      throw new NatsFeedError("unauthorized", `${context}: ${(error as Error).message} (${why})`, { cause: error });
    }
    throw toNatsFeedError(error, context);
  }
  if (options.onStatus) watchConnection(connection, options.onStatus);
  return connection;
}

/** The one set of credentials a connection sends (see natsAuthentication); `from` says where it was given. */
export type NatsCredentials =
  | { readonly kind: "user"; readonly user: string; readonly pass: string | undefined; readonly from: CredentialSource }
  | { readonly kind: "token"; readonly token: string; readonly from: CredentialSource }
  | { readonly kind: "nkey-seed-file"; readonly path: string }
  | { readonly kind: "creds-file"; readonly path: string };

type CredentialSource = "the server URL" | "the options";

/** `scheme://userinfo@` (or `userinfo@` without a scheme): userinfo runs to the last `@` of the authority. */
const USER_INFO = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^/?#]*)@/i;

/**
 * The servers to give nats.js (user info removed) and the credentials to send, from the URLs' user info
 * (`user:password` → user and password, a lone value → token; percent-decoded) or the options. Throws
 * `invalid-options` — naming servers without their user info, never a secret — for URLs that carry
 * different credentials, URL credentials the options contradict, more than one way of authenticating
 * (user, token, NKey seed file, credentials file), a password without a user, or bad percent-encoding.
 */
export function natsAuthentication(options: Pick<ConnectNatsOptions, "servers" | "user" | "pass" | "token" | "nkeySeedFile" | "credsFile">): {
  readonly servers: string[];
  readonly credentials: NatsCredentials | undefined;
} {
  const given = typeof options.servers === "string" ? [options.servers] : [...options.servers];
  const servers: string[] = [];
  let fromUrl: { credentials: NatsCredentials; index: number } | undefined;
  given.forEach((server, index) => {
    const match = USER_INFO.exec(server);
    const bare = match ? server.slice(0, (match[1] ?? "").length) + server.slice(match[0].length) : server;
    // Left over, an "@" means user info that did not parse (an unencoded "/", "?" or "#" in a password):
    // the server's name would carry part of the secret into every message that names it.
    if (bare.includes("@")) {
      throw invalidAuth(`server ${index + 1}: its URL holds an "@" outside the user info — percent-encode reserved characters (@ : / ? # %) in the user name, password or token`);
    }
    servers.push(bare);
    if (!match) return;
    const credentials = credentialsFromUserInfo(match[2] ?? "", `server ${index + 1} (${bare})`);
    if (fromUrl === undefined) fromUrl = { credentials, index };
    else if (!sameCredentials(fromUrl.credentials, credentials)) {
      throw invalidAuth(
        `servers ${fromUrl.index + 1} (${servers[fromUrl.index] ?? ""}) and ${index + 1} (${bare}) carry different credentials in their URLs; a connection sends one set to every server of its list: give the same user info on each, or none and the credentials once as options`,
      );
    }
  });
  const explicit = explicitCredentials(options);
  if (fromUrl !== undefined && explicit !== undefined && !sameCredentials(fromUrl.credentials, explicit)) {
    throw invalidAuth(
      explicit.kind === "user" || explicit.kind === "token"
        ? `the server URL and the options carry different credentials (${describeCredentials(fromUrl.credentials)} vs ${describeCredentials(explicit)}): give them once`
        : `credentials in the server URL and ${describeCredentials(explicit)}: give one way of authenticating`,
    );
  }
  return { servers, credentials: explicit ?? fromUrl?.credentials };
}

function credentialsFromUserInfo(userInfo: string, where: string): NatsCredentials {
  const colon = userInfo.indexOf(":");
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw invalidAuth(`the credentials in the URL of ${where} are not valid percent-encoding (encode reserved characters such as @ : / % # ? in a user name, password or token)`);
    }
  };
  if (colon < 0) {
    if (userInfo === "") throw invalidAuth(`the URL of ${where} has an empty user info before "@"`);
    return { kind: "token", token: decode(userInfo), from: "the server URL" };
  }
  const user = decode(userInfo.slice(0, colon));
  if (user === "") throw invalidAuth(`the URL of ${where} has a password without a user name (a token goes alone before "@": nats://TOKEN@host)`);
  return { kind: "user", user, pass: decode(userInfo.slice(colon + 1)), from: "the server URL" };
}

function explicitCredentials(options: Pick<ConnectNatsOptions, "user" | "pass" | "token" | "nkeySeedFile" | "credsFile">): NatsCredentials | undefined {
  if (options.pass !== undefined && options.user === undefined) throw invalidAuth("a password without a user (pass needs user)");
  const ways: NatsCredentials[] = [];
  if (options.user !== undefined) ways.push({ kind: "user", user: options.user, pass: options.pass, from: "the options" });
  if (options.token !== undefined) ways.push({ kind: "token", token: options.token, from: "the options" });
  if (options.nkeySeedFile !== undefined) ways.push({ kind: "nkey-seed-file", path: options.nkeySeedFile });
  if (options.credsFile !== undefined) ways.push({ kind: "creds-file", path: options.credsFile });
  if (ways.length > 1) throw invalidAuth(`${ways.map((way) => describeCredentials(way)).join(", ")}: give one way of authenticating`);
  const [way] = ways;
  if (way?.kind === "user" && way.user === "") throw invalidAuth("an empty user name");
  if (way?.kind === "token" && way.token === "") throw invalidAuth("an empty token");
  return way;
}

function sameCredentials(a: NatsCredentials, b: NatsCredentials): boolean {
  if (a.kind === "user" && b.kind === "user") return a.user === b.user && (a.pass ?? "") === (b.pass ?? "");
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  return false;
}

/** What kind of credentials, and where from — never their value (nor a user name: it may be half the secret). */
function describeCredentials(credentials: NatsCredentials): string {
  switch (credentials.kind) {
    case "user":
      return `user and password from ${credentials.from}`;
    case "token":
      return `token from ${credentials.from}`;
    case "nkey-seed-file":
      return `NKey seed file ${credentials.path}`;
    case "creds-file":
      return `credentials file ${credentials.path}`;
  }
}

function invalidAuth(message: string): NatsFeedError {
  return new NatsFeedError("invalid-options", `NATS credentials: ${message}`);
}

/**
 * The nats.js authenticator for `credentials`. Files are read now, to fail before connecting with a
 * clear error (naming the file, never quoting it), and again at every (re)connect, so a rotated file is
 * picked up without a restart.
 */
function authenticatorFor(credentials: NatsCredentials): Authenticator {
  switch (credentials.kind) {
    case "user":
      return usernamePasswordAuthenticator(credentials.user, credentials.pass);
    case "token":
      return tokenAuthenticator(credentials.token);
    case "nkey-seed-file": {
      const read = (): Uint8Array => new TextEncoder().encode(readCredentialFile(credentials.path, "NKey seed file").trim());
      try {
        nkeys.fromSeed(read());
      } catch (error) {
        if (error instanceof NatsFeedError) throw error;
        throw invalidAuth(`${credentials.path} does not hold an NKey seed (one line starting "SU", as nsc or nk -gen user writes it)`);
      }
      return nkeyAuthenticator(read);
    }
    case "creds-file": {
      const read = (): Uint8Array => new TextEncoder().encode(readCredentialFile(credentials.path, "credentials file"));
      const authenticator = credsAuthenticator(read);
      try {
        authenticator("probe"); // parses the JWT and the seed and signs: what connecting will do
      } catch (error) {
        if (error instanceof NatsFeedError) throw error;
        throw invalidAuth(`${credentials.path} is not a NATS credentials file (a user JWT and an NKey seed between "-----BEGIN …-----" lines, as nsc generate creds writes it)`);
      }
      return authenticator;
    }
  }
}

function readCredentialFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw invalidAuth(`cannot read the ${what} ${path}${typeof code === "string" ? ` (${code})` : ""}`);
  }
}

/** The server refused the credentials (nats.js AuthorizationError, also an expired user JWT). */
function isAuthorizationError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AuthorizationError" || error.name === "UserAuthenticationExpiredError" || /authorization violation|authentication (timeout|expired)/i.test(error.message));
}

/**
 * What a server said in its first `timeoutMs` on a fresh TCP connection. `nats`: an INFO line, as every
 * NATS server sends first (also before a TLS upgrade); `silent`: nothing; `not-nats`: something else
 * (`banner`, the first bytes); `unreachable`: no TCP connection (refused, unknown host: nats.js says why);
 * `not-probed`: a scheme this probe does not speak (ws:, wss:).
 */
export type NatsProbeAnswer =
  | { readonly kind: "nats" }
  | { readonly kind: "silent"; readonly address: string }
  | { readonly kind: "not-nats"; readonly address: string; readonly banner: string }
  | { readonly kind: "unreachable" }
  | { readonly kind: "not-probed" };

/** `nats://h:p`, `tls://h:p`, `h:p`, `h` → host and port (4222 by default); undefined for other schemes. */
export function natsServerAddress(server: string): { readonly host: string; readonly port: number } | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `nats://${server}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "nats:" && url.protocol !== "tls:") return undefined;
  if (url.hostname === "") return undefined;
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? 4222 : Number(url.port) };
}

/** Asks `server` for its INFO banner, within `timeoutMs`; the socket is destroyed whatever happens. */
export function probeNatsServer(server: string, timeoutMs: number): Promise<NatsProbeAnswer> {
  const address = natsServerAddress(server);
  if (!address) return Promise.resolve({ kind: "not-probed" });
  const where = address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let connected = false;
    const socket = connectTcp({ host: address.host, port: address.port });
    const finish = (answer: NatsProbeAnswer) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => {
      if (!connected) finish({ kind: "unreachable" });
      else if (received.length === 0) finish({ kind: "silent", address: where });
      else finish(judge(received, where, true) ?? { kind: "not-nats", address: where, banner: printable(received) });
    }, timeoutMs);
    socket.once("connect", () => (connected = true));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]).subarray(0, 4096);
      const answer = judge(received, where, false);
      if (answer) finish(answer);
    });
    socket.once("error", () => finish({ kind: "unreachable" }));
    socket.once("close", () => finish(received.length === 0 ? (connected ? { kind: "silent", address: where } : { kind: "unreachable" }) : { kind: "not-nats", address: where, banner: printable(received) }));
  });
}

/** INFO seen, or clearly something else; undefined while the first line may still be an INFO. */
function judge(received: Buffer, address: string, final: boolean): NatsProbeAnswer | undefined {
  const head = received.subarray(0, 5).toString("latin1").toUpperCase();
  if (head === "INFO " || head === "INFO\t") return { kind: "nats" };
  if (!final && "INFO ".startsWith(head) && received.length < 5) return undefined;
  return { kind: "not-nats", address, banner: printable(received) };
}

function printable(bytes: Buffer): string {
  const text = bytes.subarray(0, 40).toString("latin1").replace(/[^\x20-\x7e]/g, "·");
  return bytes.length > 40 ? `${text}…` : text;
}

function describeProbeAnswer(answer: NatsProbeAnswer, timeoutMs: number): string {
  if (answer.kind === "silent") return `the server at ${answer.address} did not answer like NATS (no INFO within ${timeoutMs} ms): is it a NATS port?`;
  if (answer.kind === "not-nats") return `the server at ${answer.address} did not answer like NATS (no INFO; it sent ${JSON.stringify(answer.banner)}): is it a NATS port?`;
  return "the server did not answer like NATS";
}

/** Forwards the connection's status events to `onStatus` until the connection closes. */
export function watchConnection(connection: NatsConnection, onStatus: (event: NatsConnectionEvent) => void): void {
  const emit = (event: NatsConnectionEvent): void => {
    try {
      onStatus(event);
    } catch {
      // a logger that throws must not break the connection's status loop
    }
  };
  let downSince: number | undefined;
  const statuses = connection.status();
  void (async () => {
    for await (const status of statuses) {
      switch (status.type) {
        case "disconnect":
          downSince ??= Date.now();
          emit({ type: "disconnect", level: "warn", server: status.server, message: `NATS connection to ${status.server} lost; reconnecting` });
          break;
        case "reconnect": {
          const downMs = downSince === undefined ? undefined : Date.now() - downSince;
          downSince = undefined;
          emit({
            type: "reconnect",
            level: "info",
            server: status.server,
            ...(downMs === undefined ? {} : { downMs }),
            message: `NATS connection to ${status.server} re-established${downMs === undefined ? "" : ` after ${downMs} ms`}`,
          });
          break;
        }
        case "ldm":
          emit({ type: "lame-duck", level: "warn", server: status.server, message: `NATS server ${status.server} is entering lame-duck mode (shutting down)` });
          break;
        case "staleConnection":
          emit({ type: "stale-connection", level: "warn", message: "NATS connection is stale (the server stopped answering pings); reconnecting" });
          break;
        case "slowConsumer":
          emit({
            type: "slow-consumer",
            level: "warn",
            subject: status.sub.getSubject(),
            message: `NATS slow consumer on ${status.sub.getSubject()} (${status.pending} pending): messages were dropped`,
          });
          break;
        case "error":
          emit({ type: "server-error", level: "error", error: status.error, message: `NATS server error: ${status.error.message}` });
          break;
        default:
        // ping, reconnecting (every attempt), update, forceReconnect, close (reported below): not worth a line
      }
    }
  })().catch(() => {});
  void connection.closed().then((error) => {
    emit(
      error
        ? { type: "closed", level: "error", error, message: `NATS connection closed: ${error.message}` }
        : { type: "closed", level: "info", message: "NATS connection closed" },
    );
  });
}
