import { JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, RequestError } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { classifyPullRefusal, isDeleteDenied, NatsFeedError, toNatsFeedError } from "./errors.js";

/** What nats.js throws on "no responders": JetStreamNotEnabled → RequestError → NoRespondersError(subject). */
function jetStreamNotEnabled(subject: string): Error {
  const error = new Error("jetstream is not enabled", { cause: new RequestError(`no responders: '${subject}'`, { cause: new NoRespondersError(subject) }) });
  error.name = "JetStreamNotEnabled";
  return error;
}

function statusError(description: string): Error {
  const error = new Error(description);
  error.name = "JetStreamStatusError";
  return error;
}

describe("toNatsFeedError", () => {
  it("words no responders on a publish subject as a missing stream, not as JetStream being off", () => {
    const error = toNatsFeedError(jetStreamNotEnabled("synclag.orders.shopify"), "publishing order \"o-1\"");
    expect(error.reason).toBe("stream-not-found");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/no stream stores subject 'synclag\.orders\.shopify'.*stream is missing/);
    expect(error.message).not.toMatch(/not enabled/i);
  });

  it("keeps 'JetStream is not enabled' for no responders on the JetStream API", () => {
    const error = toNatsFeedError(jetStreamNotEnabled("$JS.API.INFO"), "reading the account");
    expect(error.reason).toBe("unavailable");
    expect(error.message).toMatch(/JetStream is not enabled on the server.*\$JS\.API\.INFO/);
  });

  it("maps the stream-not-found API error and the 409 deleted statuses to the missing resource", () => {
    const missing = new JetStreamApiError({ err_code: 10059, code: 404, description: "stream not found" });
    expect(toNatsFeedError(missing, "consuming ORDERS/engine")).toMatchObject({ reason: "stream-not-found", message: "consuming ORDERS/engine: stream not found" });
    expect(toNatsFeedError(statusError("consumer deleted"), "consuming ORDERS/engine")).toMatchObject({
      reason: "consumer-not-found",
      message: "consuming ORDERS/engine: the consumer was deleted on the server",
    });
    expect(toNatsFeedError(statusError("stream deleted"), "x").reason).toBe("stream-not-found");
  });
});

describe("classifyPullRefusal", () => {
  // The descriptions nats-server 2.9–2.11 ends a refused pull with, as nats.js throws them (lower-cased).
  it.each([
    ["exceeded maxrequestbatch of 10", "incompatible"],
    ["exceeded maxrequestexpires of 1s", "incompatible"],
    ["exceeded maxrequestmaxbytes of 1024", "incompatible"],
    ["exceeded maxwaiting", "backpressure"],
    ["exceeded maxackpending", "incompatible"],
    ["Exceeded MaxWaiting", "backpressure"],
  ] as const)("takes %j as %s", (description, expected) => {
    expect(classifyPullRefusal(statusError(description))).toBe(expected);
  });

  it("tells a stream that refuses deletes by its configuration (deny_delete, sealed) from a delete that may work later", () => {
    expect(isDeleteDenied(new JetStreamApiError({ err_code: 10057, code: 500, description: "message delete not permitted" }))).toBe(true);
    expect(isDeleteDenied(new JetStreamApiError({ err_code: 10109, code: 400, description: "invalid operation on sealed stream" }))).toBe(true);
    expect(isDeleteDenied(new JetStreamApiError({ err_code: 10057, code: 500, description: "no message found" }))).toBe(false);
    expect(isDeleteDenied(new Error("message delete not permitted"))).toBe(false);
    expect(new NatsFeedError("delete-denied", "x").retryable).toBe(false);
  });

  it("leaves other statuses and errors to the usual handling", () => {
    expect(classifyPullRefusal(statusError("consumer deleted"))).toBeUndefined();
    expect(classifyPullRefusal(statusError("message size exceeds maxbytes"))).toBeUndefined();
    expect(classifyPullRefusal(new Error("exceeded maxwaiting"))).toBeUndefined();
  });
});
