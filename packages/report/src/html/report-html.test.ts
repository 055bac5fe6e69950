import { describe, expect, it } from "vitest";
import type { ResultDocument } from "@synclag/sim";
import { BUILTIN_SCENARIOS } from "@synclag/workload";
import { simulate, smallDoc, SMALL_SCENARIO } from "../../test/fixtures.js";
import { renderReportHtml } from "./report-html.js";

const CHART_KINDS = ["stock-timeline", "orders-timeline", "cancellation-rate", "lag-cdf", "cost-breakdown"];

function figures(html: string): Array<{ kind: string; points: number; svg: string }> {
  return [...html.matchAll(/<figure class="chart" id="[^"]+" data-chart="([^"]+)" data-points="(\d+)">([\s\S]*?)<figcaption>/g)].map((m) => ({ kind: m[1] as string, points: Number(m[2]), svg: m[3] as string }));
}

describe("renderReportHtml", () => {
  it("is one self-contained page: no external resource, no script that runs, a policy that forbids fetching", async () => {
    const html = renderReportHtml(await smallDoc());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect([...html.matchAll(/\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1])).toEqual(["data:,"]);
    expect(html).not.toMatch(/url\((?!#)|@import/i); // url(#id) points inside the page (SVG clip paths)
    expect([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1])).toEqual([' type="application/json" id="synclag-report-data"']);
    // The only absolute URLs are SVG namespace names, which are never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]));
  });

  it("draws every chart with data: stock per strategy, orders over time, cancellations, lag distribution, cost", async () => {
    const doc = await smallDoc();
    const charts = figures(renderReportHtml(doc));
    expect(charts.map((c) => c.kind).sort()).toEqual([...CHART_KINDS, "stock-timeline"].sort());
    for (const chart of charts) {
      expect(chart.points, chart.kind).toBeGreaterThan(0);
      expect(chart.svg, chart.kind).toMatch(/^<svg class="chart-svg"/);
      expect((chart.svg.match(/<path /g) ?? []).length, chart.kind).toBeGreaterThan(3);
    }
  });

  it("renders the same document to the same bytes", async () => {
    const doc = await smallDoc();
    expect(renderReportHtml(doc)).toBe(renderReportHtml(doc));
  });

  it("treats text from the document as text, not markup", async () => {
    const doc = await smallDoc();
    const hostile = { ...doc, scenario: { ...doc.scenario, name: `<script>alert(1)</script>`, description: `"&'<img>` } } as ResultDocument;
    const html = renderReportHtml(hostile);
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("reports a single-strategy document (as gate --json writes) without a comparison headline", async () => {
    const doc = await simulate(SMALL_SCENARIO, ["events"]);
    const html = renderReportHtml(doc);
    expect(html).toContain("Event-driven sync:");
    expect(figures(html).every((c) => c.points > 0)).toBe(true);
  });

  it("keeps the flash-sale report small enough to e-mail (≤ 1 MB)", async () => {
    const flashSale = BUILTIN_SCENARIOS["flash-sale"];
    if (!flashSale) throw new Error("no flash-sale built-in");
    const html = renderReportHtml(await simulate(flashSale));
    const bytes = Buffer.byteLength(html);
    console.log(`flash-sale report: ${Math.ceil(bytes / 1024)} KB`);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
  });
});
