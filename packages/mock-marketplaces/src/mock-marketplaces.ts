// Starts the mock marketplaces over real HTTP on loopback: one `MockMarketplace` per kind, either one
// port each (base port + index, or free ports) or all on one port under `/<kind>`. The composition
// the CLI, the real-time runner, the tests and the benchmark share.
// Easy to get wrong: refuse non-loopback hosts unless explicitly allowed — these servers accept any
// well-formed request and have an unauthenticated admin API.

import { isIP } from "node:net";
import { SynclagError } from "@synclag/core";
import { MARKETPLACE_KINDS, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import type { CredentialOverrides } from "./credentials.js";
import { MockMarketplace } from "./mock-marketplace.js";
import { serveMarketplaces, type RunningServer } from "./shells/node-http-server.js";
import { ADMIN_PREFIX } from "./wire/common.js";

export interface MockMarketplacesOptions {
  /** Default: all five. */
  readonly kinds?: readonly MarketplaceKind[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Let `host` be a non-loopback address. Default false. */
  readonly allowRemote?: boolean;
  /** Base port: kind i listens on port + i (port-per-kind) or everything on `port` (single-port). 0 = free ports. Default 0. */
  readonly port?: number;
  /** Default `port-per-kind`. */
  readonly layout?: "port-per-kind" | "single-port";
  readonly seed?: number;
  /** Order notifications go here; `{kind}` is replaced by the marketplace kind. */
  readonly ingestUrl?: string;
  readonly credentials?: CredentialOverrides;
  /** Profile overrides per kind (default `DEFAULT_PROFILES`). */
  readonly profiles?: Partial<Record<MarketplaceKind, MarketplaceProfile>>;
  readonly latency?: "none" | "profile";
  readonly notificationRetryTimeScale?: number;
  readonly notificationDelayScale?: number;
  /** Seeds `count` listings `<prefix>1…` with `stock` each in every marketplace. */
  readonly seedListings?: { readonly count: number; readonly stock: number; readonly prefix?: string };
  readonly clock?: () => number;
  readonly heldReplyMs?: number;
  readonly shopifyThrottleStatus?: 200 | 429;
}

export interface RunningMarketplace {
  readonly kind: MarketplaceKind;
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

export async function startMockMarketplaces(options: MockMarketplacesOptions = {}): Promise<RunningMockMarketplaces> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.allowRemote) throw new MockServerError("bad-option", `refusing to listen on non-loopback host ${host} (allowRemote not set)`);
  const kinds = options.kinds ?? MARKETPLACE_KINDS;
  const unknown = kinds.filter((k) => !MARKETPLACE_KINDS.includes(k));
  if (unknown.length > 0) throw new MockServerError("bad-option", `unknown marketplace kind(s): ${unknown.join(", ")}`);
  const port = options.port ?? 0;
  const layout = options.layout ?? "port-per-kind";
  const marketplaces = kinds.map((kind) => {
    const profile = options.profiles?.[kind];
    return new MockMarketplace({
      kind,
      ...(profile ? { profile } : {}),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.latency ? { latency: options.latency } : {}),
      ...(options.ingestUrl ? { ingestUrl: options.ingestUrl.replaceAll("{kind}", kind) } : {}),
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
  const servers: RunningServer[] = [];
  const running: RunningMarketplace[] = [];
  const closeAll = async () => {
    for (const m of marketplaces) m.stop();
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    if (layout === "single-port") {
      const server = await serveMarketplaces(
        marketplaces.map((m) => ({ prefix: `/${m.kind}`, marketplace: m })),
        { host, port },
      );
      servers.push(server);
      for (const m of marketplaces) running.push({ kind: m.kind, url: `${server.url}/${m.kind}`, adminUrl: `${server.url}/${m.kind}${ADMIN_PREFIX}`, marketplace: m });
    } else {
      for (const [i, m] of marketplaces.entries()) {
        const server = await serveMarketplaces([{ prefix: "", marketplace: m }], { host, port: port === 0 ? 0 : port + i });
        servers.push(server);
        running.push({ kind: m.kind, url: server.url, adminUrl: `${server.url}${ADMIN_PREFIX}`, marketplace: m });
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
