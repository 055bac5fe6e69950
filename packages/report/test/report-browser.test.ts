// The HTML report in a real headless Chromium (Debian's `chromium`, driven by playwright-core): it
// loads with no console errors and no request other than the file itself, every chart is drawn with
// data, a screenshot is written for a person to look at, and every table stays inside the sheet with
// several polling intervals, on screen and on A4 paper. Without chromium the tests are skipped
// with a message naming the package — except under CI=true, where a missing browser is a failure.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
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

describe("HTML report in headless Chromium", () => {
  it("keeps every table inside the sheet with events and three polling intervals (README: --polling 1m,5m,15m), on a 1,200 px screen and on A4 paper", async (test) => {
    skipWithoutChromium(test);
    const html = renderReportHtml(await simulate(SMALL_SCENARIO, ["events", "polling:1m", "polling:5m", "polling:15m"]));
    const work = mkdtempSync(join(tmpdir(), "synclag-report-"));
    const file = join(work, "report.html");
    writeFileSync(file, html);
    const context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
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
    } finally {
      await context.close();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("flash-sale: loads offline with no console errors and no requests, draws every chart with data, and is screenshotted", async (test) => {
    skipWithoutChromium(test);
    const flashSale = BUILTIN_SCENARIOS["flash-sale"];
    if (!flashSale) throw new Error("no flash-sale built-in");
    const html = renderReportHtml(await simulate(flashSale));
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
      const errors: string[] = [];
      const requests: string[] = [];
      context.on("request", (request) => requests.push(request.url()));
      const page = await context.newPage();
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") errors.push(`${message.type()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
      page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()}`));
      await page.goto(fileUrl, { waitUntil: "load" });

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
    } finally {
      await context.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
