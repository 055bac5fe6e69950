// Before any buyer is sent: does every storefront list the scenario's SKUs? Mocks seeded with another
// catalogue (`synclag marketplaces` without --scenario lists sku-1…sku-100; scenarios buy SKU-0001…)
// would turn every buyer away and the run would measure nothing. Easy to get wrong: one request per
// SKU per channel is 200,000 requests for black-friday-40, so the mocks' admin listing (one request per
// channel) is read first; the storefront's own item view (404 = not listed) is the fallback for a
// storefront without it.

export interface StorefrontCheckOptions {
  /** Per-request budget, ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** Item look-ups in flight per storefront in the fallback. Default 16. */
  readonly concurrency?: number;
}

export interface StorefrontProblem {
  readonly channel: string;
  readonly url: string;
  /** Unreachable, or answered something other than a listing. */
  readonly error?: string;
  /** The scenario's SKUs the storefront does not list. */
  readonly missing: readonly string[];
}

/** Every storefront that is unreachable or does not list all of `skus` (empty: all good). */
export async function checkStorefronts(storefronts: ReadonlyMap<string, string>, skus: readonly string[], options: StorefrontCheckOptions = {}): Promise<StorefrontProblem[]> {
  const results = await Promise.all([...storefronts].map(([channel, url]) => checkOne(channel, url, skus, options)));
  return results.filter((r): r is StorefrontProblem => r !== undefined);
}

/** The problems as lines for a message. */
export function describeStorefrontProblems(problems: readonly StorefrontProblem[], total: number): string[] {
  return problems.map((p) => {
    if (p.error !== undefined) return `storefront ${p.channel} (${p.url}): ${p.error}`;
    const shown = p.missing.slice(0, 3).join(", ") + (p.missing.length > 3 ? ", …" : "");
    return `storefront ${p.channel} (${p.url}) does not list ${p.missing.length === total ? "any" : `${p.missing.length}`} of the scenario's ${total} SKUs (${shown})`;
  });
}

async function checkOne(channel: string, url: string, skus: readonly string[], options: StorefrontCheckOptions): Promise<StorefrontProblem | undefined> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const listed = await adminListing(url, timeoutMs).catch((error: unknown) => error as Error);
  if (listed instanceof Error) return { channel, url, error: `not reachable: ${reason(listed)}`, missing: [] };
  if (listed !== undefined) {
    const missing = skus.filter((sku) => !listed.has(sku));
    return missing.length === 0 ? undefined : { channel, url, missing };
  }
  // No admin listing: ask the storefront item by item.
  const missing: string[] = [];
  let failure: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < skus.length && failure === undefined) {
      const sku = skus[next++] as string;
      try {
        const response = await fetch(`${url}/_synclag/storefront/items/${encodeURIComponent(sku)}`, { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
        if (response.status === 404) missing.push(sku);
        else if (response.status !== 200) failure = `GET ${url}/_synclag/storefront/items/${sku} answered ${response.status}`;
      } catch (error) {
        failure = `not reachable: ${reason(error as Error)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  if (failure !== undefined) return { channel, url, error: failure, missing: [] };
  if (missing.length === 0) return undefined;
  const order = new Map(skus.map((sku, i) => [sku, i]));
  return { channel, url, missing: missing.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)) };
}

/** SKUs listed according to the mock's admin API; undefined when the storefront has no such API. */
async function adminListing(url: string, timeoutMs: number): Promise<Set<string> | undefined> {
  const response = await fetch(`${url}/_synclag/admin/listings`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (response.status !== 200) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const listings = (body as { listings?: unknown } | null)?.listings;
  if (!Array.isArray(listings)) return undefined;
  return new Set(listings.map((l: unknown) => (l as { sku?: unknown } | null)?.sku).filter((sku): sku is string => typeof sku === "string"));
}

function reason(error: Error): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
