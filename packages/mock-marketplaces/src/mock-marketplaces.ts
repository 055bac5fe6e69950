// Starts the mock marketplaces over real HTTP on loopback: one `MockMarketplace` per kind (or per sales
// channel of a scenario, several of one kind allowed), either one port each (base port + index, or free
// ports) or all on one port under `/<kind>` (`/<channel>`). The composition the CLI, the tests and the
// benchmark share; `channelListings` is the listing seed per channel policy that `synclag run` uses too.
// Easy to get wrong: refuse non-loopback hosts unless explicitly allowed — these servers accept any
// well-formed request and have an unauthenticated admin API. And a restarted `synclag marketplaces`
// must not hand out the order ids of the previous one to an engine that outlived it: each start begins
// the order sequence at its start time (`bootOrderSeqStart`).

import { isIP } from "node:net";
import { SynclagError, listedQuantity, type ChannelId, type ChannelPolicy, type Sku } from "@synclag/core";
import { MARKETPLACE_KINDS, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import type { CredentialOverrides } from "./credentials.js";
import { MockMarketplace } from "./mock-marketplace.js";
import { serveMarketplaces, type RunningServer } from "./shells/node-http-server.js";
import { ADMIN_PREFIX } from "./wire/common.js";
import type { SeedListing } from "./wire/context.js";
import { bootOrderSeqStart } from "./wire/ids.js";

/** One sales channel to mock: its own marketplace (id in ground truth and notifications) and listings. */
export interface MockChannel {
  readonly id: ChannelId;
  readonly kind: MarketplaceKind;
  /** Seeded in this channel only (after `seedListings`, which seeds every channel). */
  readonly listings?: readonly SeedListing[];
}

export interface MockMarketplacesOptions {
  /** Default: all five. */
  readonly kinds?: readonly MarketplaceKind[];
  /** One marketplace per channel instead of one per kind (not together with `kinds`); mounted under `/<id>` with `single-port`. */
  readonly channels?: readonly MockChannel[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Let `host` be a non-loopback address. Default false. */
  readonly allowRemote?: boolean;
  /** Base port: kind i listens on port + i (port-per-kind) or everything on `port` (single-port). 0 = free ports. Default 0. */
  readonly port?: number;
  /** Default `port-per-kind`. */
  readonly layout?: "port-per-kind" | "single-port";
  readonly seed?: number;
  /** Order notifications go here; `{kind}` is replaced by the marketplace kind and `{channel}` by the channel id (= the kind without `channels`). */
  readonly ingestUrl?: string;
  readonly credentials?: CredentialOverrides;
  /** Profile overrides per kind (default `DEFAULT_PROFILES`). */
  readonly profiles?: Partial<Record<MarketplaceKind, MarketplaceProfile>>;
  readonly latency?: "none" | "profile";
  readonly notificationRetryTimeScale?: number;
  readonly notificationDelayScale?: number;
  /** Seeds `count` listings `<prefix>1…` with `stock` each in every marketplace. */
  readonly seedListings?: { readonly count: number; readonly stock: number; readonly prefix?: string };
  /** Wall clock, ms since the epoch (default `Date.now`); also where the order sequence starts (`bootOrderSeqStart`). */
  readonly clock?: () => number;
  readonly heldReplyMs?: number;
  readonly shopifyThrottleStatus?: 200 | 429;
}

export interface RunningMarketplace {
  readonly kind: MarketplaceKind;
  /** The channel id (= the kind unless started from `channels`). */
  readonly channel: ChannelId;
  /** Base URL of the marketplace's seller API (and storefront under `/_synclag/storefront`). */
  readonly url: string;
  readonly adminUrl: string;
  readonly marketplace: MockMarketplace;
}

export interface RunningMockMarketplaces {
  readonly marketplaces: readonly RunningMarketplace[];
  get(kind: MarketplaceKind): RunningMarketplace;
  close(): Promise<void>;
}

export class MockServerError extends SynclagError {
  constructor(reason: "bad-option" | "listen-failed", message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = "MockServerError";
  }
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * The listings a channel shows for a catalogue: each SKU at the quantity the channel's policy lists for
 * its stock (buffer, allocation, max listed, zero-below), optionally at a stock version per SKU.
 */
export function channelListings(catalog: Iterable<{ readonly sku: Sku; readonly stock: number }>, policy: ChannelPolicy | undefined, versionOf?: (sku: Sku) => number): SeedListing[] {
  const listings: SeedListing[] = [];
  for (const item of catalog) {
    const quantity = listedQuantity(item.stock, policy);
    listings.push(versionOf ? { sku: item.sku, quantity, version: versionOf(item.sku) } : { sku: item.sku, quantity });
  }
  return listings;
}

export async function startMockMarketplaces(options: MockMarketplacesOptions = {}): Promise<RunningMockMarketplaces> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.allowRemote) throw new MockServerError("bad-option", `refusing to listen on non-loopback host ${host} (allowRemote not set)`);
  if (options.kinds && options.channels) throw new MockServerError("bad-option", "give kinds or channels, not both");
  const channels: readonly MockChannel[] = options.channels ?? (options.kinds ?? MARKETPLACE_KINDS).map((kind) => ({ id: kind, kind }));
  const unknown = channels.map((c) => c.kind).filter((k) => !MARKETPLACE_KINDS.includes(k));
  if (unknown.length > 0) throw new MockServerError("bad-option", `unknown marketplace kind(s): ${unknown.join(", ")}`);
  const ids = channels.map((c) => c.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) throw new MockServerError("bad-option", `channel id(s) given twice: ${[...new Set(twice)].join(", ")}`);
  const bad = ids.filter((id) => !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id));
  if (bad.length > 0) throw new MockServerError("bad-option", `channel id(s) not usable in a URL path: ${bad.map((id) => JSON.stringify(id)).join(", ")}`);
  const port = options.port ?? 0;
  const layout = options.layout ?? "port-per-kind";
  // Per start, not per process: order ids of this start come after those of any earlier one.
  const orderSeqStart = bootOrderSeqStart((options.clock ?? Date.now)());
  const marketplaces = channels.map(({ id, kind }) => {
    const profile = options.profiles?.[kind];
    return new MockMarketplace({
      kind,
      channel: id,
      orderSeqStart,
      ...(profile ? { profile } : {}),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.latency ? { latency: options.latency } : {}),
      ...(options.ingestUrl ? { ingestUrl: options.ingestUrl.replaceAll("{kind}", kind).replaceAll("{channel}", id) } : {}),
      ...(options.notificationRetryTimeScale === undefined ? {} : { notificationRetryTimeScale: options.notificationRetryTimeScale }),
      ...(options.notificationDelayScale === undefined ? {} : { notificationDelayScale: options.notificationDelayScale }),
      ...(options.heldReplyMs === undefined ? {} : { heldReplyMs: options.heldReplyMs }),
      ...(options.shopifyThrottleStatus === undefined ? {} : { shopifyThrottleStatus: options.shopifyThrottleStatus }),
    });
  });
  if (options.seedListings) {
    const { count, stock, prefix = "sku-" } = options.seedListings;
    const listings = Array.from({ length: count }, (_, i) => ({ sku: `${prefix}${i + 1}`, quantity: stock }));
    for (const m of marketplaces) m.seed(listings);
  }
  channels.forEach((channel, i) => {
    if (channel.listings) marketplaces[i]?.seed(channel.listings);
  });
  const servers: RunningServer[] = [];
  const running: RunningMarketplace[] = [];
  const closeAll = async () => {
    for (const m of marketplaces) m.stop();
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    if (layout === "single-port") {
      const server = await serveMarketplaces(
        marketplaces.map((m) => ({ prefix: `/${m.channel}`, marketplace: m })),
        { host, port },
      );
      servers.push(server);
      for (const m of marketplaces) running.push({ kind: m.kind, channel: m.channel, url: `${server.url}/${m.channel}`, adminUrl: `${server.url}/${m.channel}${ADMIN_PREFIX}`, marketplace: m });
    } else {
      for (const [i, m] of marketplaces.entries()) {
        const server = await serveMarketplaces([{ prefix: "", marketplace: m }], { host, port: port === 0 ? 0 : port + i });
        servers.push(server);
        running.push({ kind: m.kind, channel: m.channel, url: server.url, adminUrl: `${server.url}${ADMIN_PREFIX}`, marketplace: m });
      }
    }
  } catch (error) {
    await closeAll();
    throw new MockServerError("listen-failed", `could not listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
  }
  return {
    marketplaces: running,
    get(kind) {
      const found = running.find((r) => r.kind === kind);
      if (!found) throw new MockServerError("bad-option", `marketplace ${kind} is not running (running: ${running.map((r) => r.kind).join(", ")})`);
      return found;
    },
    close: closeAll,
  };
}
