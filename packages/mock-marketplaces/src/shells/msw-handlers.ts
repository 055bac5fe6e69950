// The msw shell: request handlers that answer through the same `MockMarketplace.respond` as the
// node:http shell, for in-process tests and for anyone embedding the mocks with `setupServer`.
// msw is loaded lazily (`createMswHandlers` is async), so the node:http path never loads it — and,
// as a side effect, eslint-plugin-import-x's no-cycle does not walk into msw, where its legacy
// resolver crashes on msw's `node/` folder (see the ADR).
// Easy to get wrong: msw intercepts `fetch` and `node:http(s)` — not undici's own `request()` — so a
// client under test must use fetch (`FetchTransport` in @synclag/channels) to be intercepted.

import type { HttpHandler } from "msw";
import type * as MswModule from "msw";
import type * as MswNodeModule from "msw/node";
import type { MockMarketplace } from "../mock-marketplace.js";
import type { WireReply, WireRequest } from "../wire/wire.js";

export type Msw = typeof MswModule;
export type MswNode = typeof MswNodeModule;

const MSW: string = "msw";
const MSW_NODE: string = "msw/node";

/** msw's main module, loaded on first use. */
export async function loadMsw(): Promise<Msw> {
  return (await import(MSW)) as Msw;
}

/** `msw/node` (`setupServer`), loaded on first use. */
export async function loadMswNode(): Promise<MswNode> {
  return (await import(MSW_NODE)) as MswNode;
}

export interface MswMount {
  /** Origin plus optional path prefix the handlers answer for, e.g. `https://sellingpartnerapi-na.amazon.com`. */
  readonly baseUrl: string;
  readonly marketplace: MockMarketplace;
}

export async function toWireRequest(request: Request, prefixPath: string): Promise<WireRequest> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const path = url.pathname.slice(prefixPath.length) || "/";
  return { method: request.method, path, query: url.searchParams, headers, body: await request.text() };
}

/**
 * Holds a lost reply like a marketplace that applied the update and never answered — until the client
 * gives up (its request is aborted) or the hold ends: msw's own delay() could not be cancelled, so a
 * held reply kept a process alive for the whole hold after its client had long timed out.
 */
function hold(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** One catch-all handler per mount. */
export async function createMswHandlers(mounts: readonly MswMount[]): Promise<HttpHandler[]> {
  const { http, HttpResponse, delay } = await loadMsw();
  const toResponse = (reply: WireReply): Response => new HttpResponse(reply.body, { status: reply.status, headers: reply.headers });
  return mounts.map(({ baseUrl, marketplace }) => {
    const base = new URL(baseUrl);
    const prefixPath = base.pathname.replace(/\/$/, "");
    return http.all(`${base.origin}${prefixPath}/*`, async ({ request }) => {
      const received = marketplace.receive(await toWireRequest(request, prefixPath));
      // The first half of a sampled round trip: the request reaches the marketplace only then.
      if (received.waitMs > 0) await delay(received.waitMs);
      const outcome = received.respond();
      if (outcome.replyLost) {
        await hold(outcome.holdMs, request.signal);
        return HttpResponse.error();
      }
      if (outcome.delayMs > 0) await delay(outcome.delayMs);
      return toResponse(outcome.reply);
    });
  });
}
