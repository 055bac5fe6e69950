// The HTML report in a real headless Chromium (Debian's `chromium`, driven by playwright-core): it
// loads with no console errors and no request other than the file itself, every chart is drawn with
// data, a screenshot is written for a person to look at, and every table stays inside the sheet with
// several polling intervals, on screen and on A4 paper. Without chromium the tests are skipped
// with a message naming the package — except under CI=true, where a missing browser is a failure.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS } from "@synclag/workload";
import { renderReportHtml } from "../src/html/index.js";
import { SMALL_SCENARIO, simulate } from "./fixtures.js";

const CHROMIUM = process.env.SYNCLAG_CHROMIUM ?? "/usr/bin/chromium";
const INSTALL_HINT = `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), or point SYNCLAG_CHROMIUM at a Chromium binary`;
const available = existsSync(CHROMIUM);
const outputDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "test-output");

function skipWithoutChromium(test: { skip: (note: string) => void }): void {
  if (available) return;
  if (process.env.CI === "true") throw new Error(INSTALL_HINT);
  console.warn(`skipping the browser test of the HTML report. ${INSTALL_HINT}`);
  test.skip(INSTALL_HINT);
}

/** Eight channels (the most section 1 draws) with long ids, as an operator names real storefronts. */
const LONG_CHANNEL_IDS = [
  "amazon-de-marketplace-eu-central",
  "shopify-flagship-storefront-primary",
  "woocommerce-outlet-clearance-store",
  "flipkart-seller-hub-india-north",
  "ebay-motors-parts-and-accessories",
  "amazon-uk-marketplace-fulfilment",
  "shopify-wholesale-b2b-storefront",
  "ebay-refurbished-electronics-store",
];
const LONG_CHANNEL_KINDS = ["amazon", "shopify", "woocommerce", "flipkart", "ebay", "amazon", "shopify", "ebay"] as const;

interface Box {
  readonly text: string;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const overlap = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** One chart as Chromium drew it: its legend items, every other text, the plot's box and the SVG's frame. */
interface DrawnChart {
  readonly legend: Box[];
  readonly others: Box[];
  readonly plot: Box;
  readonly left: number;
  readonly right: number;
}

/**
 * Opens `html` in headless Chromium at 1,200 × 900 and hands the page to `use`. `watch` runs before the
 * page loads (console and request listeners); both get the file's URL.
 */
async function withReportPage(html: string, use: (page: Page, fileUrl: string) => Promise<void>, watch?: (page: Page, context: BrowserContext) => void): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "synclag-report-"));
  const file = join(work, "report.html");
  writeFileSync(file, html);
  const fileUrl = pathToFileURL(file).href;
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  try {
    const page = await context.newPage();
    watch?.(page, context);
    await page.goto(fileUrl, { waitUntil: "load" });
    await use(page, fileUrl);
  } finally {
    await context.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The page's own font stack (Liberation Sans here, Arial's metrics), then the widest fallback: `check` runs once in each. */
async function inEachFont(page: Page, check: (font: string) => Promise<void>): Promise<void> {
  for (const font of ["page", "DejaVu Sans"]) {
    if (font !== "page") await page.addStyleTag({ content: `svg text { font-family: '${font}' !important; }` });
    await check(font);
  }
}

/** Every chart of one kind (`data-chart`) whose legend names are `names`, measured in the page. */
function drawnCharts(page: Page, kind: string, names: readonly string[]): Promise<DrawnChart[]> {
  return page.$$eval(`figure[data-chart="${kind}"] svg`, (svgs, legendNames) =>
    svgs.map((svg) => {
      const box = (e: { getBoundingClientRect: () => { left: number; right: number; top: number; bottom: number } }, text: string) => {
        const r = e.getBoundingClientRect();
        return { text, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      // A legend item is its label and, left of it, its icon: 26 px wide, 5 px before the label (in the SVG's units).
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const frame = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll("text")].map((t) => box(t, t.textContent ?? ""));
      const legend = texts.filter((t) => legendNames.includes(t.text)).map((t) => ({ ...t, left: t.left - 31 * scale }));
      // ECharts draws the grid, the axes and the series in the SVG's own coordinates; legend icons, labels
      // and every text are translated to their place. The plot: what is drawn untranslated (clip paths are not drawn).
      const drawn = [...svg.querySelectorAll("path:not([transform])")].filter((p) => !p.closest("clipPath")).map((p) => box(p, "plot"));
      const plot = { text: "the plot", left: Math.min(...drawn.map((b) => b.left)), right: Math.max(...drawn.map((b) => b.right)), top: Math.min(...drawn.map((b) => b.top)), bottom: Math.max(...drawn.map((b) => b.bottom)) };
      return { legend, others: texts.filter((t) => !legendNames.includes(t.text)), plot, right: frame.right, left: frame.left };
    }),
  [...names]);
}

/** Every legend item of `chart` is drawn, inside the chart, and over no other item, no axis name, tick or label, and not over the plot. */
function expectLegendClear(chart: DrawnChart, names: readonly string[], where: string): void {
  expect(chart.legend.map((l) => l.text).sort(), where).toEqual([...names].sort());
  expect(chart.plot.bottom - chart.plot.top, `${where}: the plot's height`).toBeGreaterThan(100);
  for (const [i, a] of chart.legend.entries()) {
    expect(a.left, `${where}: ${a.text}`).toBeGreaterThanOrEqual(chart.left - 0.5);
    expect(a.right, `${where}: ${a.text}`).toBeLessThanOrEqual(chart.right + 0.5);
    for (const b of [...chart.legend.slice(i + 1), ...chart.others, chart.plot]) expect(overlap(a, b), `${where}: ${a.text} over ${b.text}`).toBe(false);
  }
}

const legendRows = (chart: DrawnChart) => new Set(chart.legend.map((l) => Math.round(l.top))).size;

describe("HTML report in headless Chromium", () => {
  it("section 1 with 8 long channel ids: the legend wraps above the axis name and the plot, no item over another, in the page's font and in DejaVu Sans", async (test) => {
    skipWithoutChromium(test);
    const channels = LONG_CHANNEL_IDS.map((id, i) => ({ id, kind: LONG_CHANNEL_KINDS[i] as (typeof LONG_CHANNEL_KINDS)[number], share: 1 }));
    const html = renderReportHtml(await simulate({ ...SMALL_SCENARIO, channels }));
    const legendNames = ["true stock", ...LONG_CHANNEL_IDS];
    await withReportPage(html, (page) =>
      inEachFont(page, async (font) => {
        const charts = await drawnCharts(page, "stock-timeline", legendNames);
        expect(charts, font).toHaveLength(2);
        for (const [index, chart] of charts.entries()) {
          const where = `${font}, chart ${index}`;
          expectLegendClear(chart, legendNames, where);
          // It did wrap: nine long items do not fit one 960 px row.
          expect(legendRows(chart), where).toBeGreaterThan(1);
          // Everything else (the y-axis name "units in stock", tick labels, the flash-sale label) sits below the legend.
          const legendBottom = Math.max(...chart.legend.map((l) => l.bottom));
          const othersTop = Math.min(...chart.others.map((o) => o.top));
          expect(chart.others.map((o) => o.text), where).toContain("units in stock");
          expect(legendBottom, `${where}: legend bottom vs the top of ${chart.others.find((o) => o.top === othersTop)?.text ?? ""}`).toBeLessThanOrEqual(othersTop);
        }
      }),
    );
  });

  it("8 channel ids of letters DejaVu Sans draws far wider than Arial (t, f): no legend item over another (review)", async (test) => {
    skipWithoutChromium(test);
    const ids = ["t".repeat(64), "a", "f".repeat(64), "b", "tf".repeat(32), "c", "ft".repeat(32), "d"];
    const channels = ids.map((id) => ({ id, kind: "shopify" as const, share: 1 }));
    const html = renderReportHtml(await simulate({ ...SMALL_SCENARIO, channels }));
    const names = ["true stock", ...ids];
    await withReportPage(html, (page) =>
      inEachFont(page, async (font) => {
        for (const [index, chart] of (await drawnCharts(page, "stock-timeline", names)).entries()) expectLegendClear(chart, names, `${font}, chart ${index}`);
      }),
    );
  });

  it("events and four polling intervals (--polling 1m,5m,15m,1h): the orders and lag charts' legends wrap into rows clear of each other, the axis names and the plot, and so does every other legend, in the page's font and in DejaVu Sans", async (test) => {
    skipWithoutChromium(test);
    const labels = ["Events", "Polling 1 min", "Polling 5 min", "Polling 15 min", "Polling 1 h"];
    const html = renderReportHtml(await simulate(SMALL_SCENARIO, ["events", "polling:1m", "polling:5m", "polling:15m", "polling:1h"]));
    const legends = [
      { kind: "orders-timeline", names: ["orders per minute", ...labels.flatMap((l) => [`${l}: oversold`, `${l}: lost sales`])], axisNames: ["orders (running total)", "orders / minute"], count: 1, wraps: true },
      { kind: "lag-cdf", names: labels.flatMap((l) => [`${l}: shown to buyers`, `${l}: accepted by the API`]), axisNames: ["% of updates"], count: 1, wraps: true },
      { kind: "stock-timeline", names: ["true stock", "amazon", "shopify"], axisNames: ["units in stock"], count: labels.length, wraps: false },
      { kind: "cost-breakdown", names: ["Cancellations: handling + marketplace penalty", "Customers who never come back (churn)", "Margin lost on missed sales"], axisNames: [], count: 1, wraps: false },
    ];
    await withReportPage(html, (page) =>
      inEachFont(page, async (font) => {
        for (const { kind, names, axisNames, count, wraps } of legends) {
          const charts = await drawnCharts(page, kind, names);
          expect(charts, `${font}, ${kind}`).toHaveLength(count);
          for (const [index, chart] of charts.entries()) {
            const where = `${font}, ${kind} ${index}`;
            for (const name of axisNames) expect(chart.others.map((o) => o.text), where).toContain(name);
            // Eleven and ten items do not fit one row: the case where ECharts' own rows ran over the axis names and the plot.
            if (wraps) expect(legendRows(chart), where).toBeGreaterThan(1);
            expectLegendClear(chart, names, where);
          }
        }
      }),
    );
  });

  it("keeps every table inside the sheet with events and three polling intervals (README: --polling 1m,5m,15m), on a 1,200 px screen and on A4 paper", async (test) => {
    skipWithoutChromium(test);
    const html = renderReportHtml(await simulate(SMALL_SCENARIO, ["events", "polling:1m", "polling:5m", "polling:15m"]));
    await withReportPage(html, async (page) => {
      // A4 with the page's 14 mm margins: 182 mm of content, 688 CSS px.
      for (const [media, width] of [["screen", 1200], ["print", 688]] as const) {
        await page.emulateMedia({ media });
        await page.setViewportSize({ width, height: 900 });
        const sheet = await page.$eval("main.sheet", (el) => ({
          contentRight: Math.round(el.getBoundingClientRect().right - parseFloat(el.ownerDocument.defaultView?.getComputedStyle(el).paddingRight ?? "0")),
          pageWidth: el.ownerDocument.documentElement.scrollWidth,
        }));
        const tables = await page.$$eval("table", (all) => all.map((t) => ({ table: t.className, right: Math.round(t.getBoundingClientRect().right), scrolls: t.parentElement !== null && t.parentElement.scrollWidth > t.parentElement.clientWidth + 1 })));
        const layout = { pageWidth: sheet.pageWidth, tables: tables.map((t) => ({ ...t, contentRight: sheet.contentRight })) };
        expect(layout.pageWidth, media).toBeLessThanOrEqual(width);
        expect(layout.tables.map((t) => t.table).sort(), media).toEqual(["assumptions-table", "channel-table", "cost-table", "figures-table"]);
        for (const t of layout.tables) {
          expect(t.right, `${media} ${t.table}`).toBeLessThanOrEqual(t.contentRight + 1);
          expect(t.scrolls, `${media} ${t.table}`).toBe(false);
        }
      }
    });
  });

  it("flash-sale: loads offline with no console errors and no requests, draws every chart with data, and is screenshotted", async (test) => {
    skipWithoutChromium(test);
    const flashSale = BUILTIN_SCENARIOS["flash-sale"];
    if (!flashSale) throw new Error("no flash-sale built-in");
    const html = renderReportHtml(await simulate(flashSale));
    const errors: string[] = [];
    const requests: string[] = [];
    const watch = (page: Page, context: BrowserContext) => {
      context.on("request", (request) => requests.push(request.url()));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") errors.push(`${message.type()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
      page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()}`));
    };
    await withReportPage(html, async (page, fileUrl) => {
      const charts = await page.$$eval("figure.chart", (figures) =>
        figures.map((figure) => {
          const svg = figure.querySelector("svg");
          const box = svg?.getBoundingClientRect();
          // Data marks are two-dimensional (bars, sloped or stepped lines); axes and grid lines are flat.
          const drawn = [...(svg?.querySelectorAll("path") ?? [])].filter((path) => {
            const shape = path.getBBox();
            return shape.width > 2 && shape.height > 2;
          }).length;
          return { id: figure.id, kind: figure.getAttribute("data-chart"), points: Number(figure.getAttribute("data-points")), width: box?.width ?? 0, height: box?.height ?? 0, drawn };
        }),
      );
      expect(charts.map((c) => c.kind).sort()).toEqual(["cancellation-rate", "cost-breakdown", "lag-cdf", "orders-timeline", "stock-timeline", "stock-timeline"]);
      for (const chart of charts) {
        expect(chart.points, chart.id).toBeGreaterThan(0);
        expect(chart.width, chart.id).toBeGreaterThan(300);
        expect(chart.height, chart.id).toBeGreaterThan(100);
        expect(chart.drawn, chart.id).toBeGreaterThanOrEqual(2);
      }
      const headline = await page.textContent("h1");
      expect(headline).toMatch(/Polling every 15 min costs you .+ per flash sale\. Event-driven sync: .+\./);

      mkdirSync(outputDir, { recursive: true });
      const screenshot = join(outputDir, "report-flash-sale.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`screenshot of the flash-sale report: ${screenshot}`);
      expect(existsSync(screenshot)).toBe(true);

      expect(errors).toEqual([]);
      expect(requests).toEqual([fileUrl]);
    }, watch);
  });
});
