// One mock per sales channel (what `synclag marketplaces --scenario` starts): several channels of one
// kind, each with its own listings at its policy's quantity, mounted under its channel id.

import { afterEach, describe, expect, it } from "vitest";
import { MockServerError, channelListings, startMockMarketplaces, type RunningMockMarketplaces } from "../src/index.js";

let mocks: RunningMockMarketplaces | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

describe("channelListings", () => {
  it("lists each SKU at the quantity the channel's policy shows for its stock", () => {
    const catalog = [
      { sku: "SKU-0001", stock: 20 },
      { sku: "SKU-0002", stock: 3 },
    ];
    expect(channelListings(catalog, undefined)).toEqual([
      { sku: "SKU-0001", quantity: 20 },
      { sku: "SKU-0002", quantity: 3 },
    ]);
    expect(channelListings(catalog, { bufferUnits: 2, allocationPercent: 50, zeroBelow: 2 }, () => 1)).toEqual([
      { sku: "SKU-0001", quantity: 9, version: 1 },
      { sku: "SKU-0002", quantity: 0, version: 1 },
    ]);
  });
});

describe("startMockMarketplaces with channels", () => {
  it("starts one marketplace per channel (two of one kind), each seeded with its own listings, under /<channel>", async () => {
    mocks = await startMockMarketplaces({
      layout: "single-port",
      latency: "none",
      channels: [
        { id: "amazon-us", kind: "amazon", listings: [{ sku: "SKU-0001", quantity: 7 }] },
        { id: "amazon-uk", kind: "amazon", listings: [{ sku: "SKU-0001", quantity: 2 }] },
      ],
    });
    expect(mocks.marketplaces.map((m) => [m.channel, m.kind])).toEqual([
      ["amazon-us", "amazon"],
      ["amazon-uk", "amazon"],
    ]);
    const [us, uk] = mocks.marketplaces;
    expect(us?.url).toMatch(/\/amazon-us$/);
    const shown = async (url: string | undefined) => ((await (await fetch(`${url}/_synclag/storefront/items/SKU-0001`)).json()) as { available: number }).available;
    expect(await shown(us?.url)).toBe(7);
    expect(await shown(uk?.url)).toBe(2);
    const admin = (await (await fetch(`${uk?.adminUrl}`)).json()) as { channel: string };
    expect(admin.channel).toBe("amazon-uk");
  });

  it("refuses kinds and channels together, and a channel id given twice", async () => {
    await expect(startMockMarketplaces({ kinds: ["amazon"], channels: [{ id: "a", kind: "amazon" }] })).rejects.toThrow(MockServerError);
    await expect(
      startMockMarketplaces({
        channels: [
          { id: "a", kind: "amazon" },
          { id: "a", kind: "shopify" },
        ],
      }),
    ).rejects.toThrow(/given twice: a/);
  });
});
