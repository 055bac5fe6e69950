// Before any buyer is sent: does every storefront list the scenario's SKUs? Mocks seeded with another
// catalogue (`synclag marketplaces` without --scenario lists sku-1…sku-100; scenarios buy SKU-0001…)
// would turn every buyer away and the run would measure nothing. Easy to get wrong: one request per
// SKU per channel is 200,000 requests for black-friday-40, so the mocks' admin listing (one request per
// channel) is read first; the storefront's own item view (404 = not listed) is the fallback for a
// storefront without it. And Node's fetch refuses the fetch standard's "bad ports" (6665–6669, 6000,
// 10080, …) with a bare "bad port" although curl reaches a mock listening there: that is said as such,
// with the fix, before anything is sent.

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

/**
 * The fetch standard's blocked ports (https://fetch.spec.whatwg.org/#port-blocking, as Node's fetch —
 * undici — holds them): fetch refuses a URL on one with "bad port", whoever listens there.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135,
  137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720,
  1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** What to say about a storefront on a port fetch blocks. */
function blockedPortMessage(port: string): string {
  return `port ${port} is on the fetch standard's blocked-port list (Node's fetch refuses it, curl does not); start the mocks on another --port`;
}

/** The URL's port (the scheme's default when none is written), or undefined for a URL that does not parse. */
function portOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.port !== "" ? parsed.port : parsed.protocol === "https:" ? "443" : "80";
  } catch {
    return undefined;
  }
}

/** The problem with a storefront URL whose port Node's fetch refuses, or undefined. */
export function blockedPortProblem(url: string): string | undefined {
  const port = portOf(url);
  return port !== undefined && FETCH_BLOCKED_PORTS.has(Number(port)) ? blockedPortMessage(port) : undefined;
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
  const blocked = blockedPortProblem(url);
  if (blocked !== undefined) return { channel, url, error: blocked, missing: [] };
  const timeoutMs = options.timeoutMs ?? 5_000;
  const listed = await adminListing(url, timeoutMs).catch((error: unknown) => error as Error);
  if (listed instanceof Error) return { channel, url, error: unreachable(url, listed), missing: [] };
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
        failure = unreachable(url, error as Error);
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

/** Why fetch could not reach `url`: "not reachable: …", or its "bad port" refusal said as such (a port a newer list holds). */
function unreachable(url: string, error: Error): string {
  const cause = (error as Error & { cause?: { message?: string } }).cause;
  if (cause?.message === "bad port") return blockedPortMessage(portOf(url) ?? "?");
  return `not reachable: ${reason(error)}`;
}

function reason(error: Error): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
