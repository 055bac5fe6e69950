// The wire layer's vocabulary: a decoded HTTP request and the reply to encode, independent of the
// shell that carries them (msw's fetch Request/Response or node:http). Both shells convert to and
// from these types and nothing else, which is what keeps their behaviour identical.
// Easy to get wrong: header names are lower-cased here, once, by the shells — codecs never see
// `Content-Type` and `content-type` as two different headers.

export interface WireRequest {
  readonly method: string;
  /** Path without the query string and without any shell prefix, e.g. `/listings/2021-08-01/items/A1/sku-1`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body as UTF-8 text ("" when absent). */
  readonly body: string;
}

export interface WireReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a codec produces for one request. */
export interface WireResult {
  readonly reply: WireReply;
  /** The call reached the model's update path and was applied (so a lost reply is a timeout *after* apply). */
  readonly applied?: boolean;
  /** The model decided the reply is lost: the shell holds it and drops the connection. */
  readonly replyLost?: boolean;
}

/** What the shell does with a result: wait `delayMs`, then send `reply` — or, when `replyLost`, hold and drop. */
export interface WireOutcome {
  readonly reply: WireReply;
  readonly delayMs: number;
  readonly replyLost: boolean;
  /** How long a lost reply is held before the connection is dropped (ms). */
  readonly holdMs: number;
}

const JSON_TYPE = "application/json; charset=utf-8";

export function jsonReply(status: number, value: unknown, headers?: Readonly<Record<string, string>>): WireReply {
  const all: Record<string, string> = { "content-type": JSON_TYPE };
  if (headers) for (const name in headers) all[name] = headers[name] as string;
  return { status, headers: all, body: JSON.stringify(value) };
}

export function result(reply: WireReply, extra: Omit<WireResult, "reply"> = {}): WireResult {
  return { reply, ...extra };
}

export type ParsedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

export function parseJson(body: string): ParsedJson {
  if (body.length === 0) return { ok: false, message: "empty body" };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    return { ok: false, message: `malformed JSON: ${(error as Error).message}` };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** `Authorization: Bearer <token>` → token (also accepts eBay Post-Order's `IAF <token>`). */
export function bearerToken(headers: Readonly<Record<string, string>>): string | undefined {
  const match = /^(?:Bearer|IAF)\s+(.+)$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/** `Authorization: Basic base64(user:password)` → [user, password]. */
export function basicCredentials(headers: Readonly<Record<string, string>>): [string, string] | undefined {
  const match = /^Basic\s+(.+)$/i.exec(headers.authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** Deterministic UUID-shaped id from a counter (request ids, submission ids): replies stay reproducible. */
export function counterUuid(prefix: number, n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `${prefix.toString(16).padStart(8, "0")}-0000-4000-8000-${hex}`;
}
