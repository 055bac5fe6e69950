// Opens a NATS connection with the settings the order feed relies on. Easy to get wrong: nats.js
// gives up reconnecting after 10 attempts by default (a longer server restart then kills the worker
// for good), and without `noAsyncTraces` every request builds a stack trace, which roughly halves
// publish throughput.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { toNatsFeedError } from "./errors.js";

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
}

export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  try {
    return await connect({
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
}
