// Helpers the configuration tests share (test-only: imported by src/config*.test.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MarketplaceKind } from "@synclag/marketplaces";
import { ServiceError } from "./errors.js";

/** The problems a configuration load refused with (none when it loaded); any other error is thrown. */
export function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ServiceError) return error.problems;
    throw error;
  }
  return [];
}

/** Writes `text` to a file called `name` in a fresh temp directory; returns its path. */
export function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "synclag-config-")), name);
  writeFileSync(path, text);
  return path;
}

/** A real shop's own client credentials for each kind (none of them the mocks'). */
export const OWN: { readonly [K in MarketplaceKind]: Readonly<Record<string, string>> } = {
  amazon: { sellerId: "A1REALSELLER", marketplaceId: "ATVPDKIKX0DER", accessToken: "Atza|real" },
  shopify: { accessToken: "shpat_REAL_SHOP_TOKEN", apiVersion: "2025-01", locationId: "7" },
  woocommerce: { consumerKey: "ck_live_1", consumerSecret: "cs_live_1" },
  flipkart: { appId: "live-app", appSecret: "live-app-secret", locationId: "LOC1" },
  ebay: { accessToken: "v^1.1#live" },
};
