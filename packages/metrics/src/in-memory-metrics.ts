// The `Metrics` port kept in memory: counters and histograms per (name, labels) series, for the
// simulator (read back by its checkers and the report) and for the runner's per-worker totals.
// Easy to get wrong: label order must not make two series. `{a, b}` and `{b, a}` are one series, and
// listings are sorted by name then labels (code-unit order, never locale) so two runs print the same.
//
// Hot path: `observe` must not build a key string per call. Each name has a family holding a small
// trie walked with the labels' own keys and values (`key → value → node`), so a hit costs one
// `for…in` and two Map lookups per label, with no allocation, whether the labels object is reused
// or written inline. Only a miss builds the canonical (sorted) key, and label order may differ
// between calls: each order gets its own trie path to the one series.

import type { Labels, Metrics } from "@synclag/core";
import { InvariantError } from "@synclag/core";
import { Histogram } from "./histogram.js";
import type { HistogramOptions } from "./histogram.js";

export interface InMemoryMetricsOptions {
  /** Options for every histogram this creates. Default: Histogram's defaults (30 days in ms, 3 digits). */
  readonly histogram?: HistogramOptions;
}

export interface CounterSeries {
  name: string;
  labels: Labels;
  value: number;
}

export interface HistogramSeries {
  name: string;
  labels: Labels;
  histogram: Histogram;
}

/** Metric names, as thresholds can reference them (`sync_lag_ms`, `channels.amazon.sync_lag_ms`). */
const METRIC_NAME = /^[a-z0-9_.]+$/u;

interface Series<T> {
  readonly name: string;
  /** Frozen copy, keys sorted. */
  readonly labels: Labels;
  readonly entries: readonly (readonly [string, string])[];
  value: T;
}

/** One step of the label trie: label name → label value → next node. */
interface TrieNode<T> {
  next: Map<string, Map<string, TrieNode<T>>> | undefined;
  series: Series<T> | undefined;
}

class Family<T> {
  /** Canonical label key → series; the source of truth. */
  readonly byKey = new Map<string, Series<T>>();
  /** A cache in front of `byKey`; `root.series` is the unlabelled (or `{}`) series. */
  readonly root: TrieNode<T> = { next: undefined, series: undefined };
  /**
   * A cache in front of the trie for frozen labels objects (a caller's per-channel labels, built once):
   * one identity lookup instead of a walk. Only frozen ones: a mutable object could change under it.
   */
  readonly byObject = new WeakMap<Labels, Series<T>>();
}

export class InMemoryMetrics implements Metrics {
  readonly #histogramOptions: HistogramOptions;
  readonly #counters = new Map<string, Family<number>>();
  readonly #histograms = new Map<string, Family<Histogram>>();
  readonly #gauges = new Map<string, Family<number>>();

  constructor(options: InMemoryMetricsOptions = {}) {
    this.#histogramOptions = options.histogram ?? {};
  }

  /** Adds `by` (finite, ≥ 0; default 1) to the counter. */
  increment(name: string, labels?: Labels, by = 1): void {
    if (!(by >= 0 && by < Number.POSITIVE_INFINITY)) {
      throw new InvariantError(`counter "${name}" increment must be finite and ≥ 0, got ${by}`);
    }
    const series = findSeries(this.#counters, name, labels, () => 0);
    series.value += by;
  }

  /** Records `value` (an integer in the unit the name states, e.g. `_ms`) into the series' histogram. */
  observe(name: string, value: number, labels?: Labels): void {
    findSeries(this.#histograms, name, labels, () => new Histogram(this.#histogramOptions)).value.record(value);
  }

  /** Sets the gauge (a level: last value wins) to `value` (finite). */
  gauge(name: string, value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) throw new InvariantError(`gauge "${name}" must be finite, got ${value}`);
    findSeries(this.#gauges, name, labels, () => 0).value = value;
  }

  /** The gauge's last value; undefined when never set. */
  gaugeValue(name: string, labels?: Labels): number | undefined {
    return lookupSeries(this.#gauges, name, labels)?.value;
  }

  /** The counter's value; 0 when never incremented. */
  counter(name: string, labels?: Labels): number {
    return lookupSeries(this.#counters, name, labels)?.value ?? 0;
  }

  /** The live histogram of the series (not a copy), or undefined when nothing was observed. */
  histogram(name: string, labels?: Labels): Histogram | undefined {
    return lookupSeries(this.#histograms, name, labels)?.value;
  }

  /** Every counter series, sorted by name then labels. */
  counters(): CounterSeries[] {
    return sortedSeries(this.#counters).map((s) => ({ name: s.name, labels: s.labels, value: s.value }));
  }

  /** Every histogram series (live histograms), sorted by name then labels. */
  histograms(): HistogramSeries[] {
    return sortedSeries(this.#histograms).map((s) => ({ name: s.name, labels: s.labels, histogram: s.value }));
  }

  /** Adds another instance's counters and merges its histograms (workers → run, runs → total). Gauges are one process's levels: not merged. */
  merge(other: InMemoryMetrics): void {
    for (const { name, labels, value } of other.counters()) this.increment(name, labels, value);
    for (const { name, labels, histogram } of other.histograms()) {
      findSeries(this.#histograms, name, labels, () => new Histogram(this.#histogramOptions)).value.merge(histogram);
    }
  }
}

function findSeries<T>(families: Map<string, Family<T>>, name: string, labels: Labels | undefined, create: () => T): Series<T> {
  let family = families.get(name);
  if (family === undefined) {
    if (!METRIC_NAME.test(name)) {
      throw new InvariantError(`metric name "${name}" must match [a-z0-9_.]+ (thresholds refer to it by name)`);
    }
    family = new Family<T>();
    families.set(name, family);
  }
  const frozen = labels !== undefined && Object.isFrozen(labels);
  if (frozen) {
    const known = family.byObject.get(labels);
    if (known !== undefined) return known;
  }
  let series = walk(family.root, labels);
  if (series === undefined) {
    series = seriesForKey(family, name, labels ?? {}, create);
    remember(family.root, labels, series);
  }
  if (frozen) family.byObject.set(labels, series);
  return series;
}

function lookupSeries<T>(families: Map<string, Family<T>>, name: string, labels: Labels | undefined): Series<T> | undefined {
  const family = families.get(name);
  if (family === undefined) return undefined;
  const cached = walk(family.root, labels);
  if (cached !== undefined) return cached;
  const series = family.byKey.get(labelKey(sortedEntries(name, labels ?? {})));
  if (series !== undefined) remember(family.root, labels, series);
  return series;
}

/** The cached series for these labels, or undefined on a miss. Allocates nothing. */
function walk<T>(root: TrieNode<T>, labels: Labels | undefined): Series<T> | undefined {
  let node = root;
  for (const key in labels) {
    const next = node.next?.get(key)?.get(labels[key] as string);
    if (next === undefined) return undefined;
    node = next;
  }
  return node.series;
}

function remember<T>(root: TrieNode<T>, labels: Labels | undefined, series: Series<T>): void {
  let node = root;
  for (const key in labels) {
    const value = labels[key] as string;
    node.next ??= new Map();
    let byValue = node.next.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      node.next.set(key, byValue);
    }
    let next = byValue.get(value);
    if (next === undefined) {
      next = { next: undefined, series: undefined };
      byValue.set(value, next);
    }
    node = next;
  }
  node.series = series;
}

function seriesForKey<T>(family: Family<T>, name: string, labels: Labels, create: () => T): Series<T> {
  const entries = sortedEntries(name, labels);
  const key = labelKey(entries);
  let series = family.byKey.get(key);
  if (series === undefined) {
    series = { name, labels: Object.freeze(Object.fromEntries(entries)), entries, value: create() };
    family.byKey.set(key, series);
  }
  return series;
}

function sortedEntries(name: string, labels: Labels): (readonly [string, string])[] {
  const entries = Object.entries(labels);
  for (const [key, value] of entries) {
    if (typeof value !== "string") {
      throw new InvariantError(`metric "${name}" label "${key}" must be a string, got ${typeof value}`);
    }
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Unambiguous whatever the label text holds ("," or "=" included). */
function labelKey(entries: readonly (readonly [string, string])[]): string {
  return entries.length === 0 ? "" : JSON.stringify(entries);
}

function sortedSeries<T>(families: Map<string, Family<T>>): Series<T>[] {
  const all: Series<T>[] = [];
  for (const family of families.values()) all.push(...family.byKey.values());
  return all.sort(compareSeries);
}

function compareSeries(a: Series<unknown>, b: Series<unknown>): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const shared = Math.min(a.entries.length, b.entries.length);
  for (let i = 0; i < shared; i++) {
    const [aKey, aValue] = a.entries[i] as readonly [string, string];
    const [bKey, bValue] = b.entries[i] as readonly [string, string];
    if (aKey !== bKey) return aKey < bKey ? -1 : 1;
    if (aValue !== bValue) return aValue < bValue ? -1 : 1;
  }
  return a.entries.length - b.entries.length;
}
