// Credentials inside URLs (`nats://user:pw@host`, `redis://:pw@host`, a NATS token `nats://tok@host`,
// `https://host/?access_token=…`) redacted from any text the service prints: the start-up config line, error messages and log lines
// built from lower-level errors. Easy to get wrong: lower layers put the raw URL in their own messages
// ("connecting to nats://user:pw@…") and pino prints an error's `cause` chain (messages and stacks), so
// redacting only the service's own prefix still leaks — redact the whole text, and the causes.

/**
 * `scheme://userinfo@` anywhere in a text; userinfo runs to the *last* `@` before a `/` or the end of
 * the line. Easy to get wrong: a password may hold an unencoded `@` (`redis://:p@ss@db` is accepted by
 * URL parsers, and stopping at the first `@` printed "ss@db") and whitespace (`redis://app:correct
 * horse@db` is read by node-redis and nats-feed as typed; stopping at whitespace printed it whole —
 * found by review). The price: an `@` later on the same line with no `/` between (`redis://db:6379 —
 * ask ops@example.com`) redacts the host with it; a secret is never left in. A line break ends the URL
 * (stack frames, log lines); a config value, which the URL parser reads across one, goes through
 * `redactUrlValue` too (and the configuration refuses a tab or line break inside a NATS or Redis URL).
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\r\n]*@/gi;

/**
 * A URL parameter whose name looks secret (`?access_token=`, `&X-Amz-Signature=`, `#password=`, `apikey`…,
 * any case): its value, up to the next `&`, `#`, whitespace, quote or `\\` (the text may be JSON), or a
 * comma that starts another URL (a NATS server list) — a raw comma in the value stays redacted.
 */
const SECRET_PARAM = /([?&#;][^=&#\s"'<>\\]*(?:token|password|passwd|pwd|secret|key|sig|signature|credential)[^=&#\s"'<>\\]*=)((?:(?!,[a-z][a-z0-9+.-]*:\/\/)[^&#\s"'<>\\])*)/gi;

/**
 * `=user:password@host`: a URL typed without its scheme (`--channel amazon=user:pw@sellers.example`, which a
 * URL parser reads as scheme `user:`). The colon keeps `owner=ops@example.com` readable.
 */
const SCHEMELESS_USERINFO = /=[^\s=/@:]*:[^=/\r\n]*@/g;

/**
 * `text` with the user and password of every URL in it, and the values of its secret-looking
 * parameters (`?access_token=…`, `&password=…`), replaced by "[redacted]".
 */
export function redactUrlCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (_, scheme: string) => `${scheme}[redacted]@`)
    .replace(SCHEMELESS_USERINFO, "=[redacted]@")
    .replace(SECRET_PARAM, (_, name: string, value: string) => (value === "" ? name : `${name}[redacted]`));
}

/**
 * A configuration value that is one URL or a comma-separated list of them (`natsUrl`, `redisUrl`, a base
 * URL) with the user info redacted *as the URL parser reads it*: the parser drops tabs and line breaks
 * anywhere (`redis://app:pass⏎word@db` authenticates with "password"), which a pattern over the text
 * cannot follow. Any other value is returned as it is. For values only: free text that starts with a URL
 * ("nats://n1:4222 refused⏎ … ops@example.com") parses as one too — use `redactUrlCredentials` on text.
 */
export function redactUrlValue(text: string): string {
  const entries = text.split(",");
  const redacted = entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return undefined;
    }
    if (url.username === "" && url.password === "") return entry;
    const start = entry.indexOf("://");
    if (start < 0) return "[redacted]";
    // The authority ends at the first "/", "?" or "#" (or "\\" in an http(s), ws(s), ftp or file URL); the user info at its last "@".
    const rest = entry.slice(start + 3);
    const end = rest.search(/^(?:https?|wss?|ftp|file):$/i.test(url.protocol) ? /[/?#\\]/ : /[/?#]/);
    const at = (end < 0 ? rest : rest.slice(0, end)).lastIndexOf("@");
    return at < 0 ? "[redacted]" : `${entry.slice(0, start + 3)}[redacted]${rest.slice(at)}`;
  });
  return redacted.every((entry) => entry !== undefined) ? redacted.join(",") : text;
}

/**
 * A `--channel`/`SYNCLAG_CHANNELS` spec (`kind=baseUrl`, `id:kind=baseUrl`, or something malformed) safe to
 * echo: URL credentials and secret parameters redacted, and also a userinfo typed without a scheme
 * (`amazon=user:pw@sellers.example`, which a URL parser reads as scheme `user:`).
 */
export function redactChannelSpec(text: string): string {
  return redactUrlCredentials(text).replace(/(^|[\s=])[^\s=/]+@/g, "$1[redacted]@");
}

/** An error's message (or the value as text) with URL credentials redacted. */
export function redactedMessage(error: unknown): string {
  return redactUrlCredentials(error instanceof Error ? error.message : String(error));
}

/**
 * A copy of `error` (same prototype, so `instanceof` and fields such as `reason` still work) whose
 * string fields — message and stack included — and causes have URL credentials redacted.
 */
export function redactError<T>(error: T, depth = 0): T {
  if (!(error instanceof Error) || depth > 8) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Reflect.ownKeys(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key) as PropertyDescriptor;
    // V8 may keep `stack` as an accessor: read it and store the (redacted) text.
    let value: unknown = "value" in descriptor ? descriptor.value : (error as unknown as Record<PropertyKey, unknown>)[key];
    if (typeof value === "string") value = redactUrlCredentials(value);
    else if (value instanceof Error) value = redactError(value, depth + 1);
    else if (Array.isArray(value)) value = value.map((item: unknown) => (typeof item === "string" ? redactUrlCredentials(item) : item));
    Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: descriptor.enumerable ?? false });
  }
  return copy as T;
}
