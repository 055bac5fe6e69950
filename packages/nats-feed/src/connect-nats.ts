// Opens a NATS connection with the settings the order feed relies on. Easy to get wrong: nats.js
// gives up reconnecting after 10 attempts by default (a longer server restart then kills the worker
// for good), and without `noAsyncTraces` every request builds a stack trace, which roughly halves
// publish throughput. nats.js reconnects silently: `onStatus` is the caller's only way to log a
// disconnect, the reconnect (with how long it took) and a connection that closed for good.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { toNatsFeedError } from "./errors.js";

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
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: typeof options.servers === "string" ? options.servers : [...options.servers],
      ...(options.name === undefined ? {} : { name: options.name }),
      noAsyncTraces: true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
      timeout: options.timeoutMs ?? 5_000,
    });
  } catch (error) {
    throw toNatsFeedError(error, `connecting to ${String(options.servers)}`);
  }
  if (options.onStatus) watchConnection(connection, options.onStatus);
  return connection;
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
