// Opens a NATS connection with the settings the order feed relies on. Easy to get wrong: nats.js
// gives up reconnecting after 10 attempts by default (a longer server restart then kills the worker
// for good), and without `noAsyncTraces` every request builds a stack trace, which roughly halves
// publish throughput. nats.js reconnects silently: `onStatus` is the caller's only way to log a
// disconnect, the reconnect (with how long it took) and a connection that closed for good.
// And: a server that accepts the TCP connection but never speaks NATS (a Redis on a swapped port) makes
// nats.js time out and leave its socket open — the process never exits. So every server is first asked
// for NATS's INFO banner, within the connect timeout, on a socket of our own that is always destroyed.

import { connect as connectTcp } from "node:net";
import { connect, type NatsConnection } from "@nats-io/transport-node";
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
  /** One URL or several, e.g. "nats://127.0.0.1:4222". */
  readonly servers: string | readonly string[];
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
  const servers = typeof options.servers === "string" ? [options.servers] : [...options.servers];
  const timeoutMs = options.timeoutMs ?? 5_000;
  // Every server that takes a TCP connection must greet like NATS; one that is down is left to nats.js.
  const answers = await Promise.all(servers.map((server) => probeNatsServer(server, timeoutMs).then((answer) => ({ server, answer }))));
  const notNats = answers.find((a) => a.answer.kind === "silent" || a.answer.kind === "not-nats");
  if (notNats) {
    const cause = new Error(describeProbeAnswer(notNats.answer, timeoutMs));
    throw new NatsFeedError("unavailable", `connecting to ${String(notNats.server)}: ${cause.message}`, { cause });
  }
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: typeof options.servers === "string" ? options.servers : [...options.servers],
      ...(options.name === undefined ? {} : { name: options.name }),
      noAsyncTraces: true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
      timeout: timeoutMs,
    });
  } catch (error) {
    throw toNatsFeedError(error, `connecting to ${String(options.servers)}`);
  }
  if (options.onStatus) watchConnection(connection, options.onStatus);
  return connection;
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
