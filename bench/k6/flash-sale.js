// @ts-check
// The flash-sale buyer workload as a k6 script, for users who have k6: an open model
// (`ramping-arrival-rate`: iterations start on schedule whether or not earlier ones finished) against
// the synclag mock marketplaces' buyer storefronts, while `synclag engine` keeps the channels in sync.
// Buyers check out; shopping agents read the shown stock first and leave on too little.
// Thresholds: p99 sync lag < 5 s (the engine's per-channel propagation lag, read from its /metrics at
// the end) and no dropped iterations (k6's open-model equivalent of synclag's droppedArrivals).
// Easy to get wrong: an arrival-rate executor drops iterations when it runs out of VUs — that is a
// harness limit, not a system result, so `dropped_iterations` must be 0 for the run to mean anything.
//
// Run (see docs/k6.md): k6 run -e STOREFRONTS=amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002 \
//   -e ENGINE_URL=http://127.0.0.1:8080 bench/k6/flash-sale.js

import http from "k6/http";
import { check } from "k6";
import { Counter, Trend } from "k6/metrics";

/** @param {string} name @param {string} fallback */
function env(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === "" ? fallback : value;
}

/** channel → storefront base URL */
const STOREFRONTS = env("STOREFRONTS", "amazon=http://127.0.0.1:9001,shopify=http://127.0.0.1:9002,flipkart=http://127.0.0.1:9004,woocommerce=http://127.0.0.1:9003")
  .split(",")
  .filter((pair) => pair.includes("="))
  .map((pair) => {
    const [channel, url] = pair.split("=");
    return { channel: String(channel), url: String(url).replace(/\/+$/, "") };
  });
const ENGINE_URL = env("ENGINE_URL", "http://127.0.0.1:8080");
const SKUS = Number(env("SKUS", "30"));
const STOCK = Number(env("STOCK", "20"));
/** Base arrival rate per second; the sale runs at 10× it. */
const RATE = Number(env("RATE", "5"));
const AGENT_SHARE = Number(env("AGENT_SHARE", "0.3"));
/** Seed stock in the engine (POST /admin/stock) and listings in every mock (admin API) first. */
const SEED = env("SEED", "1") === "1";

const syncLag = new Trend("sync_lag_ms", true);
/** Lag samples this run read from the engine: 0 (a failed threshold) when /metrics was unreadable or held none. */
const syncLagSamples = new Counter("sync_lag_samples");
const accepted = new Counter("checkouts_accepted");
const turnedAway = new Counter("buyers_turned_away");

/** @type {import("k6/options").Options} */
export const options = {
  scenarios: {
    flash_sale: {
      executor: "ramping-arrival-rate",
      startRate: RATE,
      timeUnit: "1s",
      preAllocatedVUs: Math.max(10, RATE * 10),
      maxVUs: Math.max(50, RATE * 40),
      stages: [
        { target: RATE, duration: env("BEFORE", "15s") },
        { target: RATE * 10, duration: "2s" },
        { target: RATE * 10, duration: env("SALE", "20s") },
        { target: RATE, duration: "2s" },
        { target: RATE, duration: env("AFTER", "15s") },
      ],
    },
  },
  thresholds: {
    sync_lag_ms: ["p(99)<5000"],
    // k6 passes a threshold on a metric with no samples: without this, an unreachable engine or a wrong
    // ENGINE_URL would "pass" the lag goal having measured nothing.
    sync_lag_samples: ["count>0"],
    dropped_iterations: ["count==0"],
    http_req_failed: ["rate<0.01"],
  },
};

/** SKU names as the workload package writes them (SKU-0001 …). @param {number} index */
function sku(index) {
  return `SKU-${String(index + 1).padStart(Math.max(4, String(SKUS).length), "0")}`;
}

/** Zipf-like popularity: low indices sell most (exponent 0.8, like the flash-sale scenario). */
function pickSku() {
  let total = 0;
  for (let i = 1; i <= SKUS; i++) total += 1 / Math.pow(i, 0.8);
  let u = Math.random() * total;
  for (let i = 1; i <= SKUS; i++) {
    u -= 1 / Math.pow(i, 0.8);
    if (u <= 0) return sku(i - 1);
  }
  return sku(SKUS - 1);
}

export function setup() {
  if (SEED) {
    const items = Array.from({ length: SKUS }, (_, i) => ({ sku: sku(i), quantity: STOCK }));
    // Listings first: the engine pushes the stock it is given at once, to mocks that must list those SKUs.
    for (const store of STOREFRONTS) {
      const seeded = http.post(`${store.url}/_synclag/admin/listings`, JSON.stringify({ listings: items }), { headers: { "content-type": "application/json" } });
      check(seeded, { "listings seeded": (r) => r.status === 200 });
    }
    const engine = http.post(`${ENGINE_URL}/admin/stock`, JSON.stringify({ kind: "set", items }), { headers: { "content-type": "application/json" } });
    check(engine, { "engine stock seeded": (r) => r.status === 200 });
  }
  // The engine's histogram counts since it started: this run's lag is the difference from now.
  return { baseline: readLagBuckets() || {} };
}

export default function () {
  const store = STOREFRONTS[Math.floor(Math.random() * STOREFRONTS.length)];
  if (!store) return;
  const item = pickSku();
  if (Math.random() < AGENT_SHARE) {
    const look = http.get(`${store.url}/_synclag/storefront/items/${item}`, { tags: { name: "storefront item" } });
    const shown = look.status === 200 ? Number(look.json("available")) : 0;
    if (!(shown >= 1)) {
      turnedAway.add(1, { channel: store.channel });
      return;
    }
  }
  const response = http.post(`${store.url}/_synclag/storefront/checkout`, JSON.stringify({ sku: item, quantity: 1 }), {
    headers: { "content-type": "application/json" },
    tags: { name: "storefront checkout" },
    responseCallback: http.expectedStatuses(201, 409),
  });
  if (response.status === 201) accepted.add(1, { channel: store.channel });
  else turnedAway.add(1, { channel: store.channel });
  check(response, { "checkout answered 201 or 409": (r) => r.status === 201 || r.status === 409 });
}

/**
 * The engine's propagation-lag histogram (confirmation at the source → accepted by each other channel),
 * expanded from its Prometheus buckets into Trend samples at each bucket's upper bound — percentiles
 * are therefore conservative to the bucket resolution (…, 2500, 5000, 10000 ms).
 */
export function teardown(/** @type {{ baseline: Record<string, Record<string, number>> }} */ data) {
  const now = readLagBuckets();
  if (!now) {
    syncLagSamples.add(0);
    return;
  }
  let samples = 0;
  for (const channel of Object.keys(now)) {
    const before = (data && data.baseline && data.baseline[channel]) || {};
    const buckets = Object.entries(now[channel] || {})
      .map(([le, cumulative]) => /** @type {[number, number]} */ ([le === "+Inf" ? Infinity : Number(le), cumulative - (before[le] || 0)]))
      .sort((a, b) => a[0] - b[0]);
    let previous = 0;
    let lastFinite = 0;
    for (const [le, cumulative] of buckets) {
      const bound = Number.isFinite(le) ? le : lastFinite * 2;
      for (let i = previous; i < cumulative; i++) syncLag.add(bound, { channel });
      samples += Math.max(0, cumulative - previous);
      previous = Math.max(previous, cumulative);
      if (Number.isFinite(le)) lastFinite = le;
    }
  }
  syncLagSamples.add(samples);
}

/**
 * The engine's propagation-lag histogram buckets by channel (`le` → cumulative count), or undefined
 * when /metrics cannot be read.
 * @returns {Record<string, Record<string, number>> | undefined}
 */
function readLagBuckets() {
  const response = http.get(`${ENGINE_URL}/metrics`, { tags: { name: "engine metrics" } });
  if (response.status !== 200 || typeof response.body !== "string") return undefined;
  /** @type {Record<string, Record<string, number>>} */
  const byChannel = {};
  for (const line of response.body.split("\n")) {
    const match = /^synclag_propagation_lag_ms_bucket\{(.*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!match) continue;
    const labels = String(match[1]);
    const channel = (/channel="([^"]*)"/.exec(labels) || [])[1] || "";
    const le = (/le="([^"]*)"/.exec(labels) || [])[1] || "+Inf";
    (byChannel[channel] = byChannel[channel] || {})[le] = Number(match[2]);
  }
  return byChannel;
}
