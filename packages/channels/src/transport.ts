// How a channel client sends one HTTP request: undici with a keep-alive connection pool (the
// default, fast), or the global `fetch` (which msw's `setupServer` can intercept in tests).
// Easy to get wrong: a timeout is not a transport failure — the request may have been applied
// (`timeout`), whereas a refused or reset connection before any reply is `transport`. Both retry.

import type { IncomingHttpHeaders } from "node:http";
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
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

  /**
   * One request straight through the agent's `dispatch` with a handler that collects the reply — what
   * undici's `request()` does, without its per-call AsyncResource, AbortSignal listener and Readable body
   * stream (measured: ~40 % less client CPU per call). Same request (URL parsed and checked as
   * `request()` does, same options), same reply (status, headers as undici parsed them, joined per name, body
   * decoded as `body.text()` does: UTF-8, a leading BOM skipped), same errors: a timeout aborts the
   * request with the same AbortError `AbortController.abort()` gives, and everything else is undici's own.
   */
  send(request: HttpRequest): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const reply = new ReplyCollector(request, resolve, reject);
      let origin: string;
      let path: string;
      try {
        const url = new URL(request.url);
        if (!isHttpOrHttps(url.origin || url.protocol)) throw new undiciErrors.InvalidArgumentError("Invalid URL protocol: the URL must start with `http:` or `https:`.");
        origin = url.origin;
        path = url.search ? `${url.pathname}${url.search}` : url.pathname;
      } catch (error) {
        reply.onResponseError(undefined, error as Error);
        return;
      }
      // dispatch() reports its own failures through the handler (onResponseError), never by throwing.
      this.agent.dispatch(
        {
          origin,
          path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        reply,
      );
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** undici's own protocol check (`util.parseURL`): an origin or protocol starting with `http:` or `https:`. */
function isHttpOrHttps(value: string): boolean {
  return value.startsWith("http:") || value.startsWith("https:");
}

/**
 * The dispatch handler of one `UndiciTransport.send`: a plain timer (cleared on the reply) aborts the
 * request, the body is gathered as chunks and decoded once at the end.
 */
class ReplyCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** Set when the timer fired: the AbortError the request was aborted with. */
  private abortedWith: Error | undefined;
  private readonly timer: ReturnType<typeof setTimeout>;
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;

  constructor(
    private readonly request: HttpRequest,
    private readonly resolve: (reply: HttpReply) => void,
    private readonly reject: (error: ChannelError) => void,
  ) {
    this.timer = setTimeout(() => this.timeout(), request.timeoutMs);
  }

  private timeout(): void {
    if (this.done) return;
    // What `AbortController.abort()` without a reason gives the request (and `request()` rejected with).
    this.abortedWith = new DOMException("This operation was aborted", "AbortError");
    this.controller?.abort(this.abortedWith);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortedWith !== undefined) controller.abort(this.abortedWith);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational: the real reply follows
    this.status = statusCode;
    const flat: Record<string, string> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    this.headers = flat;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve({ status: this.status, headers: this.headers, body: decodeBody(this.chunks, this.length) });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.reject(classify(error, this.abortedWith !== undefined, this.request.url, this.request.timeoutMs));
  }
}

/** The body as undici's `body.text()` decodes it: UTF-8, a leading byte-order mark skipped. */
function decodeBody(chunks: readonly Buffer[], length: number): string {
  if (chunks.length === 0 || length === 0) return "";
  const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString("utf8", start);
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
