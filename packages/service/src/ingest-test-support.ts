// Test support for the ingest server's tests: metrics that record every counter increment.
import type { Labels, Metrics } from "@synclag/core";

/** Metrics recording each `increment` as `[name, labels]` (observe and gauge are ignored). */
export function countingMetrics(): { readonly counted: Array<[string, Labels | undefined]>; readonly metrics: Metrics } {
  const counted: Array<[string, Labels | undefined]> = [];
  const metrics: Metrics = { increment: (name, labels) => void counted.push([name, labels]), observe: () => undefined, gauge: () => undefined };
  return { counted, metrics };
}
