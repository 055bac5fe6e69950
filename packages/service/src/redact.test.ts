// Redaction of credentials in any printed text: URL userinfo, secret-looking query parameters, specs typed without a scheme.
import { describe, expect, it } from "vitest";
import { redactChannelSpec, redactError, redactUrlCredentials, redactedMessage } from "./redact.js";

describe("redactUrlCredentials", () => {
  it("redacts the values of secret-looking query parameters, whatever their case", () => {
    expect(redactUrlCredentials("https://shop.example/?access_token=shpat_QUERY")).toBe("https://shop.example/?access_token=[redacted]");
    expect(redactUrlCredentials("redis://db:6379/0?password=QPW")).toBe("redis://db:6379/0?password=[redacted]");
    expect(redactUrlCredentials("https://h/p?a=1&Token=T1&SECRET=S1&apikey=K1&api_key=K2&sig=G1&X-Amz-Signature=G2&b=2")).toBe(
      "https://h/p?a=1&Token=[redacted]&SECRET=[redacted]&apikey=[redacted]&api_key=[redacted]&sig=[redacted]&X-Amz-Signature=[redacted]&b=2",
    );
    expect(redactUrlCredentials("https://h/cb#access_token=T2&state=s")).toBe("https://h/cb#access_token=[redacted]&state=s");
  });

  it("stops a secret value at the end of a quoted URL and at a comma that starts the next server", () => {
    expect(redactUrlCredentials('{"baseUrl":"https://h/?key=K1"}')).toBe('{"baseUrl":"https://h/?key=[redacted]"}');
    expect(redactUrlCredentials("nats://h1:4222?token=T1,nats://u:pw@h2:4222")).toBe("nats://h1:4222?token=[redacted],nats://[redacted]@h2:4222");
    expect(redactUrlCredentials("https://h/?token=a,b,c")).not.toMatch(/a,b,c/);
  });

  it("leaves harmless parameters, emails and paths alone", () => {
    expect(redactUrlCredentials("https://h/?page=2&sort=asc")).toBe("https://h/?page=2&sort=asc");
    expect(redactUrlCredentials("see http://h/x@y and a@b.test, owner=ops@example.com")).toBe("see http://h/x@y and a@b.test, owner=ops@example.com");
  });

  it("redacts a user and password typed without a scheme after =", () => {
    expect(redactUrlCredentials("amazon=user:hunter2@sellers.example")).toBe("amazon=[redacted]@sellers.example");
  });

  it("is applied to error messages, stacks and causes", () => {
    const error = new Error("GET https://h/?access_token=shpat_E failed", { cause: new Error("redis://db/0?password=PW") });
    expect(redactedMessage(error)).not.toContain("shpat_E");
    const copy = redactError(error);
    expect(`${copy.message} ${copy.stack ?? ""} ${(copy.cause as Error).message}`).not.toMatch(/shpat_E|=PW/);
  });
});

describe("redactChannelSpec", () => {
  it("redacts credentials in a malformed --channel / SYNCLAG_CHANNELS entry", () => {
    expect(redactChannelSpec("Amazon=https://user:hunter2@sellers.example")).toBe("Amazon=https://[redacted]@sellers.example");
    expect(redactChannelSpec("bad spec https://u:pw2@b")).toBe("bad spec https://[redacted]@b");
    expect(redactChannelSpec("bad spec tok3n@b")).toBe("bad spec [redacted]@b");
    expect(redactChannelSpec("shopify=https://x/?access_token=shpat_Q")).toBe("shopify=https://x/?access_token=[redacted]");
  });
});
