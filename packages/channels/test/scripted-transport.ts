// Test support for client unit tests: a transport that answers from a script, and reply builders.
import type { PushOutcome } from "@synclag/core";
import type { HttpReply, HttpRequest, HttpTransport } from "../src/transport.js";

/** An outcome's failure reason, or "ok". */
export const reasonOf = (outcome: PushOutcome | undefined): string => (outcome && !outcome.ok ? outcome.reason : "ok");
export const jsonReply = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpReply => ({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
/** A 200 (or `status`) HTML page, what a proxy or a maintenance plugin answers. */
export const htmlReply = (status = 200): HttpReply => ({ status, headers: { "content-type": "text/html" }, body: "<!DOCTYPE html><html><body>Welcome</body></html>" });

/** Answers requests from a script (the last reply repeats) and keeps what was sent. */
export function scripted(...replies: HttpReply[]): HttpTransport & { readonly sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    send: (request) => {
      sent.push(request);
      return Promise.resolve((replies.length > 1 ? replies.shift() : replies[0]) as HttpReply);
    },
    close: () => Promise.resolve(),
  };
}
