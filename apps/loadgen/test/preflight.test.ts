import { afterEach, describe, expect, it } from "vitest";
import { checkStorefronts, describeStorefrontProblems } from "../src/preflight.js";
import { fakeStorefront, type FakeStorefront } from "./storefront-fake.js";

const scenarioSkus = ["SKU-0001", "SKU-0002", "SKU-0003", "SKU-0004"];
const open: FakeStorefront[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
const start = async (options: Parameters<typeof fakeStorefront>[0]) => {
  const storefront = await fakeStorefront(options);
  open.push(storefront);
  return storefront;
};

describe("checkStorefronts", () => {
  it("passes storefronts that list every SKU of the scenario, reading the admin listing once", async () => {
    const shop = await start({ skus: scenarioSkus });
    expect(await checkStorefronts(new Map([["shop", shop.url]]), scenarioSkus)).toEqual([]);
    expect(shop.requests).toEqual(["GET /_synclag/admin/listings"]);
  });

  it("names a storefront seeded with another catalogue (sku-1…) and the SKUs it lacks", async () => {
    const other = await start({ skus: ["sku-1", "sku-2"] });
    const partial = await start({ skus: ["SKU-0001", "SKU-0002"] });
    const problems = await checkStorefronts(new Map([["amazon", other.url], ["shopify", partial.url]]), scenarioSkus);
    expect(describeStorefrontProblems(problems, scenarioSkus.length)).toEqual([
      `storefront amazon (${other.url}) does not list any of the scenario's 4 SKUs (SKU-0001, SKU-0002, SKU-0003, …)`,
      `storefront shopify (${partial.url}) does not list 2 of the scenario's 4 SKUs (SKU-0003, SKU-0004)`,
    ]);
  });

  it("asks the storefront item by item when there is no admin listing (404 = not listed)", async () => {
    const shop = await start({ skus: ["SKU-0001", "SKU-0003"], admin: false });
    const problems = await checkStorefronts(new Map([["shop", shop.url]]), scenarioSkus, { concurrency: 2 });
    expect(problems).toEqual([{ channel: "shop", url: shop.url, missing: ["SKU-0002", "SKU-0004"] }]);
  });

  it("reports an unreachable storefront", async () => {
    const gone = await start({ skus: [] });
    await gone.close();
    open.length = 0;
    const [problem] = await checkStorefronts(new Map([["shop", gone.url]]), scenarioSkus, { timeoutMs: 2_000 });
    expect(problem?.error).toMatch(/^not reachable: /);
  });
});
