// Latency and delay distributions, as data (scenario files carry them) plus one sampler.
// Easy to get wrong: a log-normal is specified here by its median and p99 — numbers people can read
// off a dashboard — not by mu/sigma.

import { exponential, standardNormal } from "./prng.js";
import type { Random } from "./ports.js";

export type Distribution =
  | { readonly kind: "constant"; readonly ms: number }
  | { readonly kind: "uniform"; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: "exponential"; readonly meanMs: number }
  | { readonly kind: "lognormal"; readonly medianMs: number; readonly p99Ms: number; readonly maxMs?: number | undefined };

const Z99 = 2.3263478740408408;

/** Draws one value in milliseconds (≥ 0). Constant draws nothing, so it never shifts the stream. */
export function sample(distribution: Distribution, random: Random): number {
  switch (distribution.kind) {
    case "constant":
      return distribution.ms;
    case "uniform":
      return distribution.minMs + random.next() * (distribution.maxMs - distribution.minMs);
    case "exponential":
      return exponential(random, distribution.meanMs);
    case "lognormal": {
      const mu = Math.log(distribution.medianMs);
      const sigma = Math.max(0, (Math.log(distribution.p99Ms) - mu) / Z99);
      const value = Math.exp(mu + sigma * standardNormal(random));
      return distribution.maxMs === undefined ? value : Math.min(value, distribution.maxMs);
    }
  }
}

/**
 * `sample` bound to one distribution, with what does not depend on the draw worked out once (a
 * log-normal's mu and sigma: two logarithms per draw otherwise). Draws exactly what `sample` draws.
 * For per-event paths (a marketplace's visibility delay is drawn for every accepted update).
 */
export function compileSampler(distribution: Distribution): (random: Random) => number {
  if (distribution.kind !== "lognormal") return (random) => sample(distribution, random);
  const mu = Math.log(distribution.medianMs);
  const sigma = Math.max(0, (Math.log(distribution.p99Ms) - mu) / Z99);
  const maxMs = distribution.maxMs;
  return maxMs === undefined ? (random) => Math.exp(mu + sigma * standardNormal(random)) : (random) => Math.min(Math.exp(mu + sigma * standardNormal(random)), maxMs);
}

/** The distribution's median, for reports and sanity checks. */
export function median(distribution: Distribution): number {
  switch (distribution.kind) {
    case "constant":
      return distribution.ms;
    case "uniform":
      return (distribution.minMs + distribution.maxMs) / 2;
    case "exponential":
      return distribution.meanMs * Math.LN2;
    case "lognormal":
      return distribution.medianMs;
  }
}

export const constant = (ms: number): Distribution => ({ kind: "constant", ms });
