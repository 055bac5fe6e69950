// The eBay client against scripted replies: how it reads bulkUpdatePriceQuantity's per-entry results,
// where one SKU may have an entry per offer and one for its inventory item (the official model:
// "an HTTP status code, offer ID, and SKU value for each offer/inventory item being updated").

import { describe, expect, it } from "vitest";
import { jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import { EbayChannelClient } from "./ebay-channel-client.js";

const client = (...replies: Parameters<typeof scripted>) => {
  const transport = scripted(...replies);
  return { transport, ebay: new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport }) };
};
const updates = [
  { sku: "a", quantity: 5, version: 2 },
  { sku: "b", quantity: 3, version: 2 },
];

describe("bulkUpdatePriceQuantity results, per SKU", () => {
  it("a SKU succeeded only when every entry for it is 200: a failing offer entry after a successful inventory-item entry is a failure", async () => {
    const { ebay } = client(
      json(
        {
          responses: [
            { sku: "a", statusCode: 200 },
            { sku: "a", offerId: "9000000001", statusCode: 400, errors: [{ errorId: 25002, domain: "API_INVENTORY", category: "REQUEST", message: "Any User error." }] },
            { sku: "b", statusCode: 200 },
            { sku: "b", offerId: "9000000002", statusCode: 200 },
          ],
        },
        207,
      ),
    );
    const outcomes = await ebay.setQuantities(updates);
    expect(outcomes.map(reasonOf)).toEqual(["rejected", "ok"]);
    expect(outcomes[0]).toMatchObject({ message: expect.stringContaining("offer 9000000001") });
  });

  it("a retryable entry (5xx, 429) wins over a refusal for the same SKU: the retry may clear both", async () => {
    const { ebay } = client(
      json(
        {
          responses: [
            { sku: "a", statusCode: 400, errors: [{ errorId: 25002, message: "Any User error." }] },
            { sku: "a", offerId: "9000000001", statusCode: 500, errors: [{ errorId: 25001, message: "A system error has occurred." }] },
            { sku: "b", statusCode: 429, errors: [] },
          ],
        },
        207,
      ),
    );
    expect((await ebay.setQuantities(updates)).map(reasonOf)).toEqual(["unavailable", "rate_limited"]);
  });

  it("sends only the ship-to-location quantity (no offers) and reads one entry per SKU as before", async () => {
    const { ebay, transport } = client(json({ responses: [{ sku: "a", statusCode: 200 }] }, 200));
    expect(await ebay.setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 3, version: 2 }])).toEqual([{ ok: true }, expect.objectContaining({ reason: "unavailable" })]);
    expect(JSON.parse(transport.sent[0]?.body ?? "{}")).toEqual({ requests: [{ sku: "a", shipToLocationAvailability: { quantity: 5 } }, { sku: "b", shipToLocationAvailability: { quantity: 3 } }] });
  });
});
