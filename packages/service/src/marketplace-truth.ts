// Ground truth from the marketplace side, read over each mock's admin API (never from the engine's
// self-report): listings with their accepted/visible/sold timelines, orders placed at the storefront,
// and call/cancellation statistics. Easy to get wrong: a mock keeps only the last N timeline entries
// per SKU, so the collector polls during the run and merges — reading once at the end would silently
// lose the early (flash-sale) part of the timeline and with it the lag of the busiest minutes.

export interface TimelineEntry {
  readonly event: "seeded" | "accepted" | "visible" | "sold";
  readonly quantity: number;
  readonly version: number;
  readonly atMs: number;
}

export interface ListingTruth {
  readonly sku: string;
  readonly channel: string;
  readonly accepted: { readonly quantity: number; readonly version: number };
  readonly visible: { readonly quantity: number; readonly version: number };
  readonly timeline?: readonly TimelineEntry[];
}

export interface MockOrderTruth {
  readonly nativeId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly createdAtMs: number;
  readonly cancelled: boolean;
}

export interface MarketplaceStats {
  readonly cancellations: number;
  readonly model: { readonly versionRegressions: number; readonly throttled: number; readonly serverErrors: number; readonly updateCalls: number };
  readonly notifications: { readonly enqueued?: number; readonly delivered?: number; readonly lost?: number; readonly droppedWhileDisabled?: number; readonly inFlight?: number };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

export class MarketplaceTruth {
  /** channel → sku → entry key → entry */
  private readonly timelines = new Map<string, Map<string, Map<string, TimelineEntry>>>();

  /** `adminUrls`: channel id → the mock's admin base URL (`…/_synclag/admin`). */
  constructor(private readonly adminUrls: ReadonlyMap<string, string>) {}

  async listings(channel: string, withTimeline: boolean): Promise<ListingTruth[]> {
    const base = this.adminUrls.get(channel);
    if (base === undefined) throw new RangeError(`unknown channel ${channel}`);
    const body = await getJson<{ listings: ListingTruth[] }>(`${base}/listings${withTimeline ? "?timeline=1" : ""}`);
    return body.listings;
  }

  async orders(channel: string): Promise<MockOrderTruth[]> {
    return (await getJson<{ orders: MockOrderTruth[] }>(`${this.adminUrls.get(channel) ?? ""}/orders`)).orders;
  }

  async stats(channel: string): Promise<MarketplaceStats> {
    return getJson<MarketplaceStats>(`${this.adminUrls.get(channel) ?? ""}/stats`);
  }

  async injectFaults(channel: string, faults: Record<string, number>): Promise<void> {
    const response = await fetch(`${this.adminUrls.get(channel) ?? ""}/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(faults), signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`POST faults to ${channel} answered ${response.status}`);
  }

  /** Reads every channel's timelines and merges them into what was collected before. */
  async collect(): Promise<void> {
    await Promise.all(
      [...this.adminUrls.keys()].map(async (channel) => {
        const listings = await this.listings(channel, true);
        let bySku = this.timelines.get(channel);
        if (!bySku) this.timelines.set(channel, (bySku = new Map()));
        for (const listing of listings) {
          let entries = bySku.get(listing.sku);
          if (!entries) bySku.set(listing.sku, (entries = new Map()));
          for (const entry of listing.timeline ?? []) entries.set(`${entry.event}|${entry.version}|${entry.quantity}|${entry.atMs}`, entry);
        }
      }),
    );
  }

  /** Every collected timeline entry of `channel`, with its SKU, in time order. */
  timeline(channel: string): Array<TimelineEntry & { readonly sku: string }> {
    const result: Array<TimelineEntry & { sku: string }> = [];
    for (const [sku, entries] of this.timelines.get(channel) ?? []) for (const entry of entries.values()) result.push({ ...entry, sku });
    return result.sort((a, b) => a.atMs - b.atMs);
  }
}
