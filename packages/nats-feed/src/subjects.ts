// Subjects and message ids derived from domain values. Easy to get wrong: a channel id or an order id
// is arbitrary text, but a subject token may not contain dots, spaces or wildcards and a header value
// may not contain CR/LF (nats.js throws) or leading/trailing spaces (nats.js trims them) — so both
// are escaped here. The message id escaping is injective, so distinct order ids never deduplicate.

import type { ChannelId, OrderId } from "@synclag/core";

const MAX_TOKEN_LENGTH = 64;

/**
 * A single subject token for a source channel: [A-Za-z0-9_-] kept, anything else becomes `_`.
 * Lossy on purpose — the subject only routes; the event itself carries the exact channel id.
 */
export function channelToken(channel: ChannelId): string {
  const token = channel.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX_TOKEN_LENGTH);
  return token.length > 0 ? token : "_";
}

export function orderSubject(subjectPrefix: string, channel: ChannelId): string {
  return `${subjectPrefix}.${channelToken(channel)}`;
}

/** The wildcard the orders stream captures: one token per source channel. */
export function orderSubjects(subjectPrefix: string): string {
  return `${subjectPrefix}.*`;
}

const PLAIN_MESSAGE_ID = /^[\x21-\x24\x26-\x7e]+$/;

/** `Nats-Msg-Id` for an order: printable ASCII kept, `%` and everything else percent-encoded (UTF-8). */
export function messageIdFor(orderId: OrderId): string {
  if (PLAIN_MESSAGE_ID.test(orderId)) return orderId;
  let out = "";
  for (const char of orderId) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e && char !== "%") out += char;
    else for (const byte of new TextEncoder().encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * A header-safe rendering of free text (reasons, ids): control characters become spaces, the result
 * is trimmed and cut to `maxChars` code points.
 */
export function headerText(text: string, maxChars = 1_000): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length <= maxChars ? flat : chars.slice(0, maxChars - 1).join("") + "…";
}
