// How a channel client sends one HTTP request: undici with a keep-alive connection pool (the
// default, fast), or the global `fetch` (which msw's `setupServer` can intercept in tests).
// Easy to get wrong: a timeout is not a transport failure — the request may have been applied
// (`timeout`), whereas a refused or reset connection before any reply is `transport`. Both retry.

import { Agent, request as undiciRequest } from "undici";
import { ChannelError } from "./errors.js";

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole request budget, ms. */
  readonly timeoutMs: number;
}

export interface HttpReply {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface HttpTransport {
  /** Resolves with any HTTP status; rejects only with a `ChannelError` (`timeout` or `transport`). */
  send(request: HttpRequest): Promise<HttpReply>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);

function classify(error: unknown, timedOut: boolean, url: string, timeoutMs: number): ChannelError {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? "";
  if (timedOut || TIMEOUT_CODES.has(code)) return new ChannelError("timeout", `no reply from ${url} within ${timeoutMs} ms`, { cause: error });
  return new ChannelError("transport", `${url}: ${(error as Error).message}${code ? ` (${code})` : ""}`, { cause: error });
}

export interface UndiciTransportOptions {
  /** Connections per origin. Default 32. */
  readonly connections?: number;
  /** Idle keep-alive, ms. Default 30,000. */
  readonly keepAliveTimeoutMs?: number;
}

export class UndiciTransport implements HttpTransport {
  private readonly agent: Agent;

  constructor(options: UndiciTransportOptions = {}) {
    this.agent = new Agent({ connections: options.connections ?? 32, keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000, keepAliveMaxTimeout: 600_000 });
  }

  async send(request: HttpRequest): Promise<HttpReply> {
    // A controller and a plain timer, cleared on reply: `AbortSignal.timeout` keeps a weakly referenced
    // timer per signal alive until it fires, and this runs once per push call (it showed in the profile).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), request.timeoutMs);
    try {
      const response = await undiciRequest(request.url, {
        method: request.method as "GET",
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        dispatcher: this.agent,
        signal: controller.signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
      const body = await response.body.text();
      const headers: Record<string, string> = {};
      for (const name in response.headers) {
        const value = response.headers[name];
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      return { status: response.statusCode, headers, body };
    } catch (error) {
      throw classify(error, controller.signal.aborted, request.url, request.timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Global `fetch`: interceptable by msw; Node's fetch keeps connections alive by itself. */
export class FetchTransport implements HttpTransport {
  constructor(private readonly fetchImpl: typeof fetch = globalThis.fetch) {}

  async send(request: HttpRequest): Promise<HttpReply> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await this.fetchImpl(request.url, { method: request.method, headers: request.headers, ...(request.body === undefined ? {} : { body: request.body }), signal });
      const body = await response.text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body };
    } catch (error) {
      throw classify(error, signal.aborted, request.url, request.timeoutMs);
    }
  }

  async close(): Promise<void> {}
}
