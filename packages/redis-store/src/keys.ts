// Key layout of the Redis stock store, and the Redis Cluster slot of a key (CRC16 of the hash tag).
// Every key of one store lives under one hash tag `{partition}`, so all keys an order touches — its
// SKUs, its idempotency record, the audit and outbox streams, the seq counter, the pending
// cancellations — share one slot.
// Easy to get wrong: the hash tag is the FIRST `{…}` of a key, so the prefix must contain no brace;
// then braces inside SKUs or order ids (which come after the tag) cannot move a key to another slot.
// See docs/decisions/0003-redis-keys-and-hash-tags.md.

/** Number of hash slots in Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;
/** Longest partition (hash tag) accepted, in UTF-8 bytes. */
export const MAX_PARTITION_BYTES = 64;

export interface StockKeys {
  /** The hash tag shared by every key below. */
  readonly partition: string;
  /** The Redis Cluster slot of every key of this store. */
  readonly slot: number;
  /** String: the last audit seq used (audit stream ids are `<seq>-0`). */
  readonly seq: string;
  /** Stream: one entry per audit record, id `<seq>-0`. */
  readonly audit: string;
  /** Stream: push work written in the same step as the stock change; entries are XDEL'd on ack. */
  readonly outbox: string;
  /** Set: every SKU that exists (for `snapshot()` without arguments). */
  readonly skus: string;
  /** Sorted set: pending cancellations, score = audit seq of the insufficient outcome (see lua.ts). */
  readonly cancellations: string;
  /** Hash `{quantity, version}` of one SKU (already NFC-normalised). */
  sku(sku: string): string;
  /** String (JSON, with a TTL): the idempotency record of one order id. */
  order(orderId: string): string;
  /** Hash (with a TTL): an order group of `settleOrderGroup` — its lines and whether it was cancelled. */
  group(group: string): string;
  /** Everything of this store matches `${keyspace}*` (for inspection and tests). */
  readonly keyspace: string;
}

const encoder = new TextEncoder();
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/u;

/** Returns a problem message when `keyPrefix` / `partition` cannot form a safe key space. */
export function checkKeyspace(keyPrefix: string, partition: string): string | undefined {
  // Typed as strings, but options also come from JavaScript and config files: a number would be coerced.
  if (typeof keyPrefix !== "string") return `keyPrefix must be a string, got ${typeof keyPrefix}`;
  if (typeof partition !== "string") return `partition must be a string, got ${typeof partition}`;
  if (/[{}]/u.test(keyPrefix)) return `keyPrefix ${JSON.stringify(keyPrefix)} must not contain "{" or "}" (it would capture the hash tag)`;
  if (CONTROL_CHARACTERS.test(keyPrefix)) return `keyPrefix ${JSON.stringify(keyPrefix)} must not contain control characters`;
  if (partition.length === 0) return "partition must not be empty (an empty hash tag hashes the whole key)";
  if (/[{}]/u.test(partition)) return `partition ${JSON.stringify(partition)} must not contain "{" or "}"`;
  if (encoder.encode(partition).length > MAX_PARTITION_BYTES) return `partition must be at most ${MAX_PARTITION_BYTES} bytes`;
  if (CONTROL_CHARACTERS.test(partition)) return `partition ${JSON.stringify(partition)} must not contain control characters`;
  return undefined;
}

export function stockKeys(options: { readonly keyPrefix: string; readonly partition: string }): StockKeys {
  const problem = checkKeyspace(options.keyPrefix, options.partition);
  if (problem) throw new TypeError(problem);
  const base = `${options.keyPrefix}{${options.partition}}:`;
  return {
    partition: options.partition,
    slot: keySlot(base),
    seq: `${base}seq`,
    audit: `${base}audit`,
    outbox: `${base}outbox`,
    skus: `${base}skus`,
    cancellations: `${base}cancellations`,
    sku: (sku) => `${base}sku:${sku}`,
    order: (orderId) => `${base}order:${orderId}`,
    group: (group) => `${base}group:${group}`,
    keyspace: base,
  };
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16/XMODEM, the checksum Redis Cluster uses for key slots. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The Redis Cluster slot of a key: CRC16 of its hash tag (first non-empty `{…}`) or of the whole key. */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === "string" ? encoder.encode(key) : key;
  const open = bytes.indexOf(0x7b); // "{"
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // "}"
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}
