import { runOrderFeedContract } from "@synclag/testkit";
import { describe } from "vitest";
import { natsMissing, openTestFeed, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream order feed (private nats-server)", () => {
  const nats = usePrivateNatsServer();
  runOrderFeedContract("JetStreamOrderFeed", () => openTestFeed(nats.url()), { waitMs: 10_000 });
});
