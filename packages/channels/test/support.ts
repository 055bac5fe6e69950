// Test support: start the mock marketplaces on free loopback ports, build the matching client,
// record what a client sends and receives, and find ../shared/specs (skipping politely without it).

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MarketplaceKind, MarketplaceProfile } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS, startMockMarketplaces, type MockMarketplacesOptions, type RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import { createChannelClient, UndiciTransport, type HttpChannelClient, type HttpReply, type HttpRequest, type HttpTransport } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The repo root (packages/channels/test → ../../..). */
export const REPO_ROOT = resolve(here, "../../..");
export const SPECS_DIR = resolve(REPO_ROOT, "../shared/specs");
export const HAVE_SPECS = existsSync(resolve(SPECS_DIR, "amazon/listingsItems_2021-08-01.json")) && existsSync(resolve(SPECS_DIR, "ebay/sell_inventory_v1_oas3.yaml"));
export const SPECS_SKIP_MESSAGE = `skipped: the official API models are not at ${SPECS_DIR} (a checkout without ../shared); CI always has them`;

export async function startMocks(options: MockMarketplacesOptions = {}): Promise<RunningMockMarketplaces> {
  return startMockMarketplaces({ latency: "none", seedListings: { count: 40, stock: 10 }, ...options });
}

export function withProfile(kind: MarketplaceKind, profile: MarketplaceProfile): Partial<Record<MarketplaceKind, MarketplaceProfile>> {
  return { [kind]: profile };
}

export interface Exchange {
  readonly request: HttpRequest;
  readonly reply?: HttpReply;
}

/** Wraps a transport and keeps every request and reply. */
export class RecordingTransport implements HttpTransport {
  readonly exchanges: Exchange[] = [];
  constructor(private readonly inner: HttpTransport = new UndiciTransport()) {}
  async send(request: HttpRequest): Promise<HttpReply> {
    try {
      const reply = await this.inner.send(request);
      this.exchanges.push({ request, reply });
      return reply;
    } catch (error) {
      this.exchanges.push({ request });
      throw error;
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const c = DEFAULT_MOCK_CREDENTIALS;

/** A client of `kind` pointed at the running mock, with the mock's default credentials, sending the stand-in version header. */
export function clientFor(running: RunningMockMarketplaces, kind: MarketplaceKind, extra: { transport?: HttpTransport; timeoutMs?: number; baseUrl?: string; api?: "graphql" | "rest" } = {}): HttpChannelClient {
  const baseUrl = extra.baseUrl ?? running.get(kind).url;
  // The mocks are the channel: they read the stand-in version header for ground truth.
  const common = { baseUrl, sendVersionHeader: true, ...(extra.transport ? { transport: extra.transport } : {}), ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}) };
  switch (kind) {
    case "amazon":
      return createChannelClient({ kind, ...common, credentials: c.amazon });
    case "shopify":
      return createChannelClient({ kind, ...common, credentials: c.shopify, ...(extra.api ? { api: extra.api } : {}) });
    case "woocommerce":
      return createChannelClient({ kind, ...common, credentials: c.woocommerce });
    case "flipkart":
      return createChannelClient({ kind, ...common, credentials: c.flipkart });
    case "ebay":
      return createChannelClient({ kind, ...common, credentials: c.ebay });
  }
}

export async function admin(running: RunningMockMarketplaces, kind: MarketplaceKind, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${running.get(kind).adminUrl}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

export async function checkout(running: RunningMockMarketplaces, kind: MarketplaceKind, sku: string, quantity = 1): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${running.get(kind).url}/_synclag/storefront/checkout`, { method: "POST", body: JSON.stringify({ sku, quantity }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
