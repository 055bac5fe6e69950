// The built-in scenarios. Each is plain data run through the same schema as a user's file, so
// `synclag scenarios --json NAME` prints a file a user can copy and edit.

import type { ScenarioInput } from "./scenario-schema.js";

const fourChannels: ScenarioInput["channels"] = [
  { id: "amazon", kind: "amazon", share: 0.4 },
  { id: "shopify", kind: "shopify", share: 0.3 },
  { id: "flipkart", kind: "flipkart", share: 0.2 },
  { id: "woocommerce", kind: "woocommerce", share: 0.1 },
];

const KINDS = ["amazon", "shopify", "woocommerce", "flipkart", "ebay"] as const;

export const BUILTIN_SCENARIOS: Readonly<Record<string, ScenarioInput>> = {
  "steady-day": {
    name: "steady-day",
    description: "An ordinary day: 500 orders/day over 24 h on amazon, shopify, flipkart and woocommerce; polling every 15 min as the baseline.",
    duration: "24h",
    catalog: { skus: 120, stock: { min: 5, max: 40 }, popularity: 1 },
    channels: fourChannels,
    demand: { ordersPerDay: 500, agentShare: 0.2, restocks: [{ at: "12h", quantity: 20, skus: 30 }] },
    strategies: ["events", "polling:15m"],
  },
  "flash-sale": {
    name: "flash-sale",
    description: "A flash sale on limited stock: 10× order velocity for one hour (30 SKUs, demand ~3× stock), a mid-sale restock, 3 h in all.",
    duration: "3h",
    catalog: { skus: 30, stock: { min: 10, max: 30 }, popularity: 0.8 },
    channels: fourChannels,
    demand: {
      ordersPerDay: 4000,
      curve: [{ start: "45m", duration: "1h", multiplier: 10, label: "flash sale" }],
      agentShare: 0.3,
      restocks: [{ at: "1h15m", quantity: 15, skus: 10 }],
    },
    strategies: ["events", "polling:15m"],
    convergenceBudget: "1h",
  },
  "viral-moment": {
    name: "viral-moment",
    description: "A product goes viral: 25× demand for 20 minutes on a small catalogue, 2 h in all.",
    duration: "2h",
    catalog: { skus: 10, stock: { min: 20, max: 60 }, popularity: 2 },
    channels: [...fourChannels, { id: "ebay", kind: "ebay", share: 0.1 }],
    demand: { ordersPerDay: 1500, curve: [{ start: "40m", duration: "20m", multiplier: 25, label: "viral" }], agentShare: 0.4 },
    strategies: ["events", "polling:5m", "polling:15m"],
  },
  "marketplace-outage": {
    name: "marketplace-outage",
    description: "Shopify's API is down for 30 minutes and Amazon throttles hard (429 storm) for an hour, during a busy afternoon.",
    duration: "6h",
    catalog: { skus: 60, stock: { min: 10, max: 50 }, popularity: 1 },
    channels: [
      { id: "amazon", kind: "amazon", share: 0.4, profile: { faults: { throttleStorms: [{ start: "2h", duration: "1h", factor: 0.1 }], serverErrorRate: 0.01 } } },
      { id: "shopify", kind: "shopify", share: 0.3, profile: { faults: { outages: [{ start: "2h30m", duration: "30m" }], timeoutAfterApplyRate: 0.01 } } },
      { id: "flipkart", kind: "flipkart", share: 0.2 },
      { id: "woocommerce", kind: "woocommerce", share: 0.1 },
    ],
    demand: { ordersPerDay: 3000, agentShare: 0.2 },
    feed: { lostAckRate: 0.01, duplicateRate: 0.01 },
    strategies: ["events", "polling:15m"],
  },
  "black-friday-40": {
    name: "black-friday-40",
    description: "Black Friday at scale: 1,000,000 orders in 24 h across 40 channels and 5,000 SKUs, restocked through the day.",
    duration: "24h",
    catalog: { skus: 5000, stock: { min: 100, max: 400 }, popularity: 0.6 },
    channels: Array.from({ length: 40 }, (_, index) => {
      const kind = KINDS[index % KINDS.length] as (typeof KINDS)[number];
      return { id: `${kind}-${String(Math.floor(index / KINDS.length) + 1).padStart(2, "0")}`, kind, share: 1 };
    }),
    demand: {
      ordersPerDay: 1_000_000,
      restocks: [
        { at: "6h", quantity: 300 },
        { at: "12h", quantity: 300 },
        { at: "18h", quantity: 300 },
      ],
    },
    strategies: ["events"],
    convergenceBudget: "2h",
  },
};
