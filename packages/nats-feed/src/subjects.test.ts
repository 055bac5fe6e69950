import { describe, expect, it } from "vitest";
import { channelToken, headerText, messageIdFor, orderSubject } from "./subjects.js";

describe("subjects and message ids", () => {
  it("keeps a plain channel id as the subject token", () => {
    expect(orderSubject("synclag.orders", "shopify")).toBe("synclag.orders.shopify");
  });

  it("turns dots, spaces and wildcards in a channel id into one safe token", () => {
    expect(channelToken("amazon.de > eu *")).toBe("amazon_de___eu__");
    expect(channelToken("")).toBe("_");
  });

  it("uses a printable ASCII order id as the message id unchanged", () => {
    expect(messageIdFor("AMZ-114-2231-8812")).toBe("AMZ-114-2231-8812");
  });

  it("escapes spaces, control characters, percent signs and non-ASCII so header values survive", () => {
    expect(messageIdFor(" a\r\nb ")).toBe("%20a%0D%0Ab%20");
    expect(messageIdFor("café")).toBe("caf%C3%A9");
  });

  it("never maps two different order ids to the same message id", () => {
    const ids = ["a%20b", "a b", "a%b", "a%25b", "é", "%C3%A9"];
    expect(new Set(ids.map(messageIdFor)).size).toBe(ids.length);
  });

  it("flattens control characters in header text and cuts it at a code point boundary", () => {
    expect(headerText("line one\nline two\u0000!")).toBe("line one line two !");
    expect(headerText("😀😀😀", 2)).toBe("😀…");
  });
});
