// The small real-run scenario several tests share: Shopify and WooCommerce, 3 SKUs of 500, 720 orders
// a day over one hour of trading.
import { validateScenario, type Scenario } from "@synclag/workload";

export function twoChannelScenario(name: string, description: string): Scenario {
  const loaded = validateScenario(
    {
      name,
      description,
      duration: "1h",
      catalog: { skus: 3, stock: 500, popularity: 0 },
      channels: [
        { id: "shopify", kind: "shopify", share: 0.5 },
        { id: "woocommerce", kind: "woocommerce", share: 0.5 },
      ],
      demand: { ordersPerDay: 720 },
    },
    "test",
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.scenario;
}
