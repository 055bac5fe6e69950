// The Lua scripts of the Redis stock store and their SHA1s. `APPLY` applies a list of orders, restocks
// and sets in one atomic step (an insufficient order's pending cancellation included); `READ_LEVELS`
// reads many SKUs at one point in time.
// Easy to get wrong: Redis does not roll back a script, so APPLY runs in three phases — (1) check every
// argument and read every key, raising before any write (wrong Redis types, corrupt or exhausted
// counters, bad arguments); (2) plan every outcome and every write in Lua memory; (3) execute the plan.
// Nothing in phases 2 and 3 can fail: limits were checked in phase 1, key types too, the seq counter
// against the audit stream's last id (an XADD at an id not above it is refused), and the `#!lua`
// shebang (Redis ≥ 7) makes Redis refuse the whole script up front under OOM instead of at the first
// write. Numbers are turned into text by Lua's `%.14g`, exact for integers below 10^14 — hence
// MAX_COUNTER. Speed: Lua in Redis pays ~0.3–1 µs per allocation (closure, table, string.format), so
// the script keeps a handful of closures, flat arrays instead of tables per line or per command, and
// builds its JSON as strings (only SKU names go through cjson, for escaping).

import { createHash } from "node:crypto";
import { MAX_CHANNEL_ID_BYTES, MAX_LINES, MAX_ORDER_ID_BYTES, MAX_QUANTITY, MAX_SKU_BYTES } from "@synclag/core";

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA1 of `source`, the name EVALSHA knows it by. */
  readonly sha: string;
}

/** Largest audit seq / SKU version the scripts accept: 14 digits, printed exactly by Lua's `%.14g`. */
export const MAX_COUNTER = 99_999_999_999_999;

/**
 * The opening both write scripts share: error codes, the Redis calls, `fail`, `quoted`, and the check
 * that the audit seq counter is not behind the audit stream. The stream's last id is kept even when
 * its entries were trimmed: a counter behind it — lost, or restored from an older backup — would make
 * the script's XADD fail after its first writes (half-applied), so it fails before any write instead.
 */
const LUA_PRELUDE = `local BAD, WRONGTYPE, CORRUPT = 'SYNCLAG_BADARGS', 'SYNCLAG_WRONGTYPE', 'SYNCLAG_CORRUPT'
local call, pcall_, find, sub, gsub, concat = redis.call, redis.pcall, string.find, string.sub, string.gsub, table.concat

local function fail(code, message)
  error({ err = code .. ' ' .. message })
end

local function quoted(text) return find(text, '[%c"\\\\]') and cjson.encode(text) or '"' .. text .. '"' end

-- \`stored\`: the seq counter's raw value (false when missing); \`seq\`: its value.
local function checkAuditSeq(auditKey, stored, seq)
  local info = call('XINFO', 'STREAM', auditKey)
  for i = 1, #info - 1, 2 do
    if info[i] == 'last-generated-id' then
      local last = tonumber(string.match(info[i + 1], '^(%d+)%-')) or 0
      if not stored and last > 0 then fail(CORRUPT, '1 seq counter is missing but the audit stream has entries') end
      if seq < last then fail(CORRUPT, '1 seq counter is behind the audit stream') end
    end
  end
end`;

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS: seq, audit, outbox, skus, cancellations, then per op — order: its idempotency key, then one SKU
 *       key per line; restock/set: the SKU key.
 * ARGV: atMs, idempotencyTtlMs, opCount, then per op —
 *       O orderId sourceChannel fingerprint lineCount (sku quantity)×lineCount
 *       R|S sku quantity hasReason(0|1) reason
 * Reply: JSON array, one result per op: {k:"a",s,c:[[sku,delta,quantity,version]…]} applied,
 *       {k:"i",s,h:[[sku,requested,available]…]} insufficient, {k:"d",o:<stored a|i>} duplicate,
 *       {k:"c"} conflict, {k:"u",x:[lineIndex…]} unknown SKUs, {k:"m",s,c:[sku,delta,quantity,version]}
 *       restock/set applied, {k:"x"} restock/set would exceed MAX_QUANTITY.
 * Errors (nothing written): "SYNCLAG_BADARGS <what>", "SYNCLAG_WRONGTYPE <keyIndex> <detail>",
 *       "SYNCLAG_CORRUPT <keyIndex> <what>".
 * Idempotency record (string, PX ttl): "<byte length of fingerprint>:<fingerprint><outcome JSON a|i>".
 * Pending cancellations (sorted set): score = the insufficient outcome's audit seq, member
 *       `[seq,"orderId","sourceChannel","atMs",["sku",…]]` (the order's SKUs, sorted; members written
 *       before they were added have four elements); an insufficient outcome adds one in the same step and
 *       carries the mark `,"p":1` in its stored outcome. A duplicate of an insufficient record without
 *       the mark (written before pending cancellations existed) adds the entry then and sets the mark —
 *       once, so a cancellation already done and removed is never recorded again.
 */
export const APPLY_SCRIPT = script(
  "apply",
  `#!lua
local MAX_QUANTITY = ${MAX_QUANTITY}
local MAX_COUNTER = ${MAX_COUNTER}
local MAX_LINES = ${MAX_LINES}
local MAX_SKU_BYTES = ${MAX_SKU_BYTES}
local MAX_ORDER_ID_BYTES = ${MAX_ORDER_ID_BYTES}
local MAX_CHANNEL_ID_BYTES = ${MAX_CHANNEL_ID_BYTES}
${LUA_PRELUDE}
local nargs, nkeys = #ARGV, #KEYS

-- Error path only: the index of a key in KEYS, so the caller can name it.
local function keyIndex(keyName)
  for i = 1, nkeys do if KEYS[i] == keyName then return i end end
  return 0
end

-- A canonical decimal integer (digits only, no leading zero) within [min, max]. With a key, a
-- failure is reported against that key (stored data) instead of the arguments.
local function integer(text, min, max, what, code, key)
  local value = type(text) == 'string' and #text > 0 and #text <= 16 and find(text, '^%d+$')
    and (#text == 1 or sub(text, 1, 1) ~= '0') and tonumber(text)
  if value and value >= min and value <= max then return value end
  fail(code, (key and (keyIndex(key) .. ' ') or '') .. what .. (value and ' is out of range' or ' is not a canonical integer'))
end

local function wrongType(keyName, detail)
  fail(WRONGTYPE, keyIndex(keyName) .. ' ' .. (gsub(detail, '[^%w ,]', '')))
end

-- Phase 1a: parse and check every argument into flat arrays.
local atMs, ttlMs = ARGV[1], ARGV[2]
if atMs == nil or #atMs == 0 or #atMs > 32 then fail(BAD, 'atMs') end
integer(ttlMs, 1, MAX_COUNTER, 'idempotencyTtlMs', BAD)
local opCount = integer(ARGV[3], 1, 100000, 'op count', BAD)
local a, k = 3, 5
local kinds, firsts, lasts, ids, sources, fingerprints, opKeys = {}, {}, {}, {}, {}, {}, {}
local skus, quantities, lineKeys, lines = {}, {}, {}, 0
local hasMutation = false
for i = 1, opCount do
  local kind = ARGV[a + 1]
  if kind == 'O' then
    local orderId, source, fingerprint, lineCount = ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
    if lineCount == nil then fail(BAD, 'missing argument ' .. (a + 5)) end
    a = a + 5
    if #orderId == 0 or #orderId > MAX_ORDER_ID_BYTES then fail(BAD, 'orderId must be 1..' .. MAX_ORDER_ID_BYTES .. ' bytes') end
    if #source == 0 or #source > MAX_CHANNEL_ID_BYTES then fail(BAD, 'sourceChannel must be 1..' .. MAX_CHANNEL_ID_BYTES .. ' bytes') end
    local count = integer(lineCount, 1, MAX_LINES, 'line count', BAD)
    k = k + 1
    if KEYS[k] == nil then fail(BAD, 'missing key ' .. k) end
    kinds[i], ids[i], sources[i], fingerprints[i], opKeys[i], firsts[i] = 'O', orderId, source, fingerprint, KEYS[k], lines + 1
    for _ = 1, count do
      local sku, quantity = ARGV[a + 1], ARGV[a + 2]
      if quantity == nil then fail(BAD, 'missing argument ' .. (a + 2)) end
      a = a + 2
      if #sku == 0 or #sku > MAX_SKU_BYTES then fail(BAD, 'sku must be 1..' .. MAX_SKU_BYTES .. ' bytes') end
      k = k + 1
      if KEYS[k] == nil then fail(BAD, 'missing key ' .. k) end
      lines = lines + 1
      skus[lines], quantities[lines], lineKeys[lines] = sku, integer(quantity, 1, MAX_QUANTITY, 'quantity', BAD), KEYS[k]
    end
    lasts[i] = lines
    if count > 1 then
      local seen = {}
      for l = firsts[i], lines do
        if seen[skus[l]] then fail(BAD, 'the same sku twice in one order') end
        seen[skus[l]] = true
      end
    end
  elseif kind == 'R' or kind == 'S' then
    local sku, quantity, hasReason, reason = ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
    if reason == nil then fail(BAD, 'missing argument ' .. (a + 5)) end
    a = a + 5
    if #sku == 0 or #sku > MAX_SKU_BYTES then fail(BAD, 'sku must be 1..' .. MAX_SKU_BYTES .. ' bytes') end
    if hasReason ~= '0' and hasReason ~= '1' then fail(BAD, 'hasReason') end
    k = k + 1
    if KEYS[k] == nil then fail(BAD, 'missing key ' .. k) end
    hasMutation = true
    lines = lines + 1 -- a mutation is stored as one line of its own (quantity 0 allowed for a set)
    skus[lines], quantities[lines], lineKeys[lines] = sku, integer(quantity, kind == 'R' and 1 or 0, MAX_QUANTITY, 'quantity', BAD), KEYS[k]
    kinds[i], firsts[i], lasts[i], ids[i], opKeys[i] = kind, lines, lines, hasReason == '1' and reason or false, KEYS[k]
  else
    fail(BAD, 'unknown op kind')
  end
end
if a ~= nargs or k ~= nkeys then fail(BAD, 'extra arguments or keys') end

-- Phase 1b: read every key (checking its type) before the first write.
local seqKey, auditKey, outboxKey, skusKey, cancellationsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local stored = pcall_('GET', seqKey)
if type(stored) == 'table' then wrongType(seqKey, stored.err) end
local seq = 0
if stored then seq = integer(stored, 0, MAX_COUNTER, 'stored seq', CORRUPT, seqKey) end
local actual = call('TYPE', auditKey).ok
if actual ~= 'none' and actual ~= 'stream' then wrongType(auditKey, 'holds a ' .. actual .. ', expected a stream') end
-- The audit stream's last id (kept even when its entries were trimmed): a counter behind it — lost, or
-- restored from an older backup — would make phase 3's XADD fail after the first writes (half-applied).
if actual == 'stream' then checkAuditSeq(auditKey, stored, seq) end
if seq > MAX_COUNTER - opCount then fail(CORRUPT, '1 audit seq exhausted') end
local seqBefore = seq
actual = call('TYPE', outboxKey).ok
if actual ~= 'none' and actual ~= 'stream' then wrongType(outboxKey, 'holds a ' .. actual .. ', expected a stream') end
if hasMutation then
  actual = call('TYPE', skusKey).ok
  if actual ~= 'none' and actual ~= 'set' then wrongType(skusKey, 'holds a ' .. actual .. ', expected a set') end
end

-- Levels by SKU key: quantity (false when the SKU does not exist), version, SKU as JSON.
local levelQuantity, levelVersion, levelJson = {}, {}, {}
for l = 1, lines do
  local key = lineKeys[l]
  if levelQuantity[key] == nil then
    local reply = pcall_('HMGET', key, 'quantity', 'version')
    if reply.err then wrongType(key, reply.err) end
    if reply[1] or reply[2] then
      levelQuantity[key] = integer(reply[1], 0, MAX_QUANTITY, 'stored quantity', CORRUPT, key)
      levelVersion[key] = integer(reply[2], 0, MAX_COUNTER - opCount, 'stored version', CORRUPT, key)
      levelJson[key] = find(skus[l], '[%c"\\\\]') and cjson.encode(skus[l]) or '"' .. skus[l] .. '"'
    else
      levelQuantity[key] = false
    end
  end
end

-- Idempotency records: "<byte length of fingerprint>:<fingerprint><outcome JSON>", so a redelivery is
-- recognised by a string comparison and its stored outcome returned without decoding it.
local recordFingerprint, recordOutcome, recordUnmarkedSeq = {}, {}, {}
local orderKeys = {}
for i = 1, opCount do if kinds[i] == 'O' then orderKeys[#orderKeys + 1] = opKeys[i] end end
-- One MGET for every idempotency key of the call. MGET reads a key of another type as nil, so one
-- EXISTS over the same keys tells whether every nil really is a missing key.
local records = #orderKeys > 0 and call('MGET', unpack(orderKeys)) or {}
local found = 0
for n = 1, #orderKeys do if records[n] then found = found + 1 end end
if #orderKeys > 0 and call('EXISTS', unpack(orderKeys)) ~= found then
  for n, key in ipairs(orderKeys) do
    local actual = call('TYPE', key).ok
    if not records[n] and actual ~= 'none' then wrongType(key, 'holds a ' .. actual .. ', expected a string') end
  end
end
for n, key in ipairs(orderKeys) do
  local record = records[n]
  if recordFingerprint[key] == nil then
    recordFingerprint[key] = false
    if record then
      local colon = find(record, ':', 1, true)
      local length = colon and tonumber(sub(record, 1, colon - 1))
      local outcome = length and sub(record, colon + length + 1)
      if not outcome or (sub(outcome, 1, 8) ~= '{"k":"a"' and sub(outcome, 1, 8) ~= '{"k":"i"') or sub(outcome, -1) ~= '}' then
        fail(CORRUPT, keyIndex(key) .. ' unreadable idempotency record')
      end
      recordFingerprint[key], recordOutcome[key] = sub(record, colon + 1, colon + length), outcome
      if sub(outcome, 1, 8) == '{"k":"i"' and sub(outcome, -7) ~= ',"p":1}' then
        local unmarked = string.match(outcome, '^{"k":"i","s":(%d+),')
        if not unmarked then fail(CORRUPT, keyIndex(key) .. ' unreadable idempotency record') end
        recordUnmarkedSeq[key] = integer(unmarked, 1, MAX_COUNTER, 'stored outcome seq', CORRUPT, key)
      end
    end
  end
end

-- Phase 2: plan every outcome and every write in flat arrays; nothing touches Redis here.
local auditCount, auditKind, auditOrder, auditSource, auditReason, auditChanges, auditShortages = 0, {}, {}, {}, {}, {}, {}
local outboxCount, outboxSource, outboxChanges = 0, {}, {}
local recordCount, recordKeys, recordValues = 0, {}, {}
local markCount, markKeys, markValues = 0, {}, {}
local pendingCount, pendingScores, pendingMembers = 0, {}, {}
local function addPending(pendingSeq, op)
  local names = {}
  for l = firsts[op], lasts[op] do names[#names + 1] = quoted(skus[l]) end
  pendingCount = pendingCount + 1
  pendingScores[pendingCount] = pendingSeq .. ''
  pendingMembers[pendingCount] = '[' .. pendingSeq .. ',' .. quoted(ids[op]) .. ',' .. quoted(sources[op]) .. ',' .. quoted(atMs) .. ',[' .. concat(names, ',') .. ']]'
end
local dirty, dirtyKeys, created = {}, {}, {}
local results = {}
for i = 1, opCount do
  local kind, key = kinds[i], opKeys[i]
  if kind == 'O' then
    local previous = recordFingerprint[key]
    if previous then
      if previous == fingerprints[i] then
        local unmarked = recordUnmarkedSeq[key]
        if unmarked then
          recordUnmarkedSeq[key] = nil
          addPending(unmarked, i)
          recordOutcome[key] = sub(recordOutcome[key], 1, -2) .. ',"p":1}'
          markCount = markCount + 1
          markKeys[markCount], markValues[markCount] = key, #previous .. ':' .. previous .. recordOutcome[key]
        end
        results[i] = '{"k":"d","o":' .. recordOutcome[key] .. '}'
      else
        results[i] = '{"k":"c"}'
      end
    else
      local unknown, shortages -- created only when needed: tables cost
      for l = firsts[i], lasts[i] do
        local available = levelQuantity[lineKeys[l]]
        if not available then
          unknown = unknown or {}
          unknown[#unknown + 1] = l - firsts[i]
        elseif available < quantities[l] then
          shortages = shortages or {}
          shortages[#shortages + 1] = '[' .. levelJson[lineKeys[l]] .. ',' .. quantities[l] .. ',' .. available .. ']'
        end
      end
      if unknown then
        results[i] = '{"k":"u","x":[' .. concat(unknown, ',') .. ']}'
      else
        seq = seq + 1
        auditCount = auditCount + 1
        auditOrder[auditCount], auditSource[auditCount] = ids[i], sources[i]
        local outcome
        if shortages then
          local encoded = '[' .. concat(shortages, ',') .. ']'
          outcome = '{"k":"i","s":' .. seq .. ',"h":' .. encoded .. ',"p":1}'
          addPending(seq, i)
          auditKind[auditCount], auditChanges[auditCount], auditShortages[auditCount] = 'insufficient', '[]', encoded
        else
          local encoded
          for l = firsts[i], lasts[i] do
            local lineKey = lineKeys[l]
            local quantity, version = levelQuantity[lineKey] - quantities[l], levelVersion[lineKey] + 1
            levelQuantity[lineKey], levelVersion[lineKey] = quantity, version
            if not dirty[lineKey] then dirty[lineKey] = true dirtyKeys[#dirtyKeys + 1] = lineKey end
            local change = '[' .. levelJson[lineKey] .. ',-' .. quantities[l] .. ',' .. quantity .. ',' .. version .. ']'
            encoded = encoded and (encoded .. ',' .. change) or change
          end
          encoded = '[' .. encoded .. ']'
          outcome = '{"k":"a","s":' .. seq .. ',"c":' .. encoded .. '}'
          auditKind[auditCount], auditChanges[auditCount] = 'order', encoded
          outboxCount = outboxCount + 1
          outboxSource[outboxCount], outboxChanges[outboxCount] = sources[i], encoded
        end
        recordFingerprint[key], recordOutcome[key] = fingerprints[i], outcome
        recordCount = recordCount + 1
        recordKeys[recordCount], recordValues[recordCount] = key, #fingerprints[i] .. ':' .. fingerprints[i] .. outcome
        results[i] = outcome
      end
    end
  else
    local l = firsts[i]
    local current = levelQuantity[key]
    local nextQuantity = quantities[l]
    if kind == 'R' then nextQuantity = (current or 0) + nextQuantity end
    if nextQuantity > MAX_QUANTITY then
      results[i] = '{"k":"x"}'
    else
      if not current then
        levelVersion[key], levelJson[key] = 0, find(skus[l], '[%c"\\\\]') and cjson.encode(skus[l]) or '"' .. skus[l] .. '"'
        created[#created + 1] = skus[l]
      end
      local version = levelVersion[key] + 1
      levelQuantity[key], levelVersion[key] = nextQuantity, version
      if not dirty[key] then dirty[key] = true dirtyKeys[#dirtyKeys + 1] = key end
      seq = seq + 1
      local encoded = '[' .. levelJson[key] .. ',' .. (nextQuantity - (current or 0)) .. ',' .. nextQuantity .. ',' .. version .. ']'
      auditCount = auditCount + 1
      auditKind[auditCount] = kind == 'R' and 'restock' or 'set'
      auditOrder[auditCount], auditReason[auditCount], auditChanges[auditCount] = false, ids[i], '[' .. encoded .. ']'
      outboxCount = outboxCount + 1
      outboxSource[outboxCount], outboxChanges[outboxCount] = false, '[' .. encoded .. ']'
      results[i] = '{"k":"m","s":' .. seq .. ',"c":' .. encoded .. '}'
    end
  end
end

-- The pending-cancellation key is read only when the plan writes it (most calls never do); still before any write.
if pendingCount > 0 then
  actual = call('TYPE', cancellationsKey).ok
  if actual ~= 'none' and actual ~= 'zset' then wrongType(cancellationsKey, 'holds a ' .. actual .. ', expected a sorted set') end
end

-- Phase 3: execute the plan. Levels are written once per SKU with their final values.
for _, key in ipairs(dirtyKeys) do call('HSET', key, 'quantity', levelQuantity[key] .. '', 'version', levelVersion[key] .. '') end
for _, sku in ipairs(created) do call('SADD', skusKey, sku) end
if seq ~= seqBefore then call('SET', seqKey, seq .. '') end
for n = 1, auditCount do
  local id = (seqBefore + n) .. '-0'
  if auditOrder[n] then
    if auditShortages[n] then
      call('XADD', auditKey, id, 'kind', auditKind[n], 'atMs', atMs, 'orderId', auditOrder[n], 'sourceChannel', auditSource[n],
        'changes', auditChanges[n], 'shortages', auditShortages[n])
    else
      call('XADD', auditKey, id, 'kind', auditKind[n], 'atMs', atMs, 'orderId', auditOrder[n], 'sourceChannel', auditSource[n],
        'changes', auditChanges[n])
    end
  elseif auditReason[n] then
    call('XADD', auditKey, id, 'kind', auditKind[n], 'atMs', atMs, 'reason', auditReason[n], 'changes', auditChanges[n])
  else
    call('XADD', auditKey, id, 'kind', auditKind[n], 'atMs', atMs, 'changes', auditChanges[n])
  end
end
for n = 1, outboxCount do
  if outboxSource[n] then
    call('XADD', outboxKey, '*', 'atMs', atMs, 'sourceChannel', outboxSource[n], 'changes', outboxChanges[n])
  else
    call('XADD', outboxKey, '*', 'atMs', atMs, 'changes', outboxChanges[n])
  end
end
for n = 1, recordCount do call('SET', recordKeys[n], recordValues[n], 'PX', ttlMs) end
for n = 1, markCount do call('SET', markKeys[n], markValues[n], 'KEEPTTL') end
for n = 1, pendingCount do call('ZADD', cancellationsKey, pendingScores[n], pendingMembers[n]) end
return '[' .. concat(results, ',') .. ']'
`,
);

/**
 * KEYS: SKU keys. Reply: JSON array, per key `[quantity, version]` (decimal strings) or `false` when the
 * SKU does not exist. Read-only (`no-writes`), so it may also run on a replica.
 */
export const READ_LEVELS_SCRIPT = script(
  "read-levels",
  `#!lua flags=no-writes
local out = {}
for i = 1, #KEYS do
  local reply = redis.pcall('HMGET', KEYS[i], 'quantity', 'version')
  if type(reply) == 'table' and reply.err then
    return redis.error_reply('SYNCLAG_WRONGTYPE ' .. i .. ' ' .. string.gsub(reply.err, '[^%w ]', ''))
  end
  if reply[1] and reply[2] then out[i] = { reply[1], reply[2] } else out[i] = false end
end
return cjson.encode(out)
`,
);

/**
 * `settleOrderGroup`: records a line of an order group and/or the group's cancellation, and gives back
 * (once) every recorded line whose order was applied, when the group is cancelled.
 * KEYS: seq, audit, outbox, group.
 * ARGV: atMs, idempotencyTtlMs, keyspace base (`<prefix>{<partition>}:`), group, cancel (0|1), line ('' = none).
 * Group (hash, PX ttl refreshed on every write): `cancelled` = 1 once cancelled; `count` = lines recorded;
 *       `l:<orderId>` = the line's recording number (≥ 1) until it is given back, then 0.
 * The lines' idempotency records and SKU hashes are only known inside the script (they are read from
 * the group), so their keys are built from the key space base: they share its hash tag, hence the
 * slot of the declared keys (Redis refuses a script's access to a key of another slot, never to one of
 * the same slot). Same three phases as APPLY: read and check everything, plan, then write.
 * Reply: JSON `{"c":0|1,"r":[{"o":"orderId","s":seq,"c":[[sku,delta,quantity,version]…]}…]}`.
 * Errors (nothing written): as APPLY's; keys that are not declared are named in the message.
 */
export const SETTLE_GROUP_SCRIPT = script(
  "settle-group",
  `#!lua
local MAX_QUANTITY = ${MAX_QUANTITY}
local MAX_COUNTER = ${MAX_COUNTER}
${LUA_PRELUDE}
local function clean(detail) return (gsub(detail, '[^%w ,:]', '')) end
local function integer(text, min, max, what, code, where)
  local value = type(text) == 'string' and #text > 0 and #text <= 16 and find(text, '^%d+$')
    and (#text == 1 or sub(text, 1, 1) ~= '0') and tonumber(text)
  if value and value >= min and value <= max then return value end
  fail(code, (where and (where .. ' ') or '') .. what .. (value and ' is out of range' or ' is not a canonical integer'))
end

if #KEYS ~= 4 or #ARGV ~= 6 then fail(BAD, 'expected 4 keys and 6 arguments') end
local seqKey, auditKey, outboxKey, groupKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local atMs, ttlMs, base, group, cancel, line = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if #atMs == 0 or #atMs > 32 then fail(BAD, 'atMs') end
integer(ttlMs, 1, MAX_COUNTER, 'idempotencyTtlMs', BAD)
if cancel ~= '0' and cancel ~= '1' then fail(BAD, 'cancel') end
if #group == 0 or #base == 0 then fail(BAD, 'group') end

-- Phase 1: read the group, then (when it is cancelled) every line to give back, its SKUs and the counters.
local actual = call('TYPE', groupKey).ok
if actual ~= 'none' and actual ~= 'hash' then fail(WRONGTYPE, '4 holds a ' .. actual .. ', expected a hash') end
local flat = call('HGETALL', groupKey)
local cancelled, count = false, 0
local open, numbers, known = {}, {}, {}
for i = 1, #flat, 2 do
  local field, value = flat[i], flat[i + 1]
  if field == 'cancelled' then
    if value ~= '1' then fail(CORRUPT, '4 cancelled is not 1') end
    cancelled = true
  elseif field == 'count' then
    count = integer(value, 0, MAX_COUNTER - 1, 'line count', CORRUPT, '4')
  elseif sub(field, 1, 2) == 'l:' then
    local id = sub(field, 3)
    local n = integer(value, 0, MAX_COUNTER, 'line number', CORRUPT, '4')
    known[id] = true
    if n > 0 then open[#open + 1] = id numbers[id] = n end
  else
    fail(CORRUPT, '4 unknown field')
  end
end
local added = false
if line ~= '' and not known[line] then
  count = count + 1
  added = true
  open[#open + 1] = line
  numbers[line] = count
end
local nowCancelled = cancelled or cancel == '1'

local released, levelQuantity, levelVersion, levelJson, dirtyKeys = {}, {}, {}, {}, {}
if nowCancelled and #open > 0 then
  table.sort(open, function(x, y) return numbers[x] < numbers[y] end)
  for _, id in ipairs(open) do
    local recordKey = base .. 'order:' .. id
    local record = pcall_('GET', recordKey)
    if type(record) == 'table' and record.err then fail(WRONGTYPE, 'key ' .. clean(recordKey) .. ' ' .. clean(record.err)) end
    local changes
    if record then
      local colon = find(record, ':', 1, true)
      local length = colon and tonumber(sub(record, 1, colon - 1))
      local outcome = length and sub(record, colon + length + 1)
      if not outcome or (sub(outcome, 1, 8) ~= '{"k":"a"' and sub(outcome, 1, 8) ~= '{"k":"i"') or sub(outcome, -1) ~= '}' then
        fail(CORRUPT, 'key ' .. clean(recordKey) .. ' unreadable idempotency record')
      end
      if sub(outcome, 1, 8) == '{"k":"a"' then
        local ok, decoded = pcall(cjson.decode, outcome)
        if not ok or type(decoded) ~= 'table' or type(decoded.c) ~= 'table' then fail(CORRUPT, 'key ' .. clean(recordKey) .. ' unreadable idempotency record') end
        changes = {}
        for _, change in ipairs(decoded.c) do
          local sku, delta = change[1], change[2]
          if type(sku) ~= 'string' or type(delta) ~= 'number' or delta >= 0 or delta < -MAX_QUANTITY or delta ~= math.floor(delta) then
            fail(CORRUPT, 'key ' .. clean(recordKey) .. ' unreadable change')
          end
          local skuKey = base .. 'sku:' .. sku
          if levelQuantity[skuKey] == nil then
            local reply = pcall_('HMGET', skuKey, 'quantity', 'version')
            if reply.err then fail(WRONGTYPE, 'key ' .. clean(skuKey) .. ' ' .. clean(reply.err)) end
            if reply[1] or reply[2] then
              levelQuantity[skuKey] = integer(reply[1], 0, MAX_QUANTITY, 'stored quantity', CORRUPT, 'key ' .. clean(skuKey))
              levelVersion[skuKey] = integer(reply[2], 0, MAX_COUNTER - #open, 'stored version', CORRUPT, 'key ' .. clean(skuKey))
            else
              levelQuantity[skuKey], levelVersion[skuKey] = 0, 0 -- the SKU is gone (lost data): given back from 0
            end
            levelJson[skuKey] = quoted(sku)
            dirtyKeys[#dirtyKeys + 1] = skuKey
          end
          changes[#changes + 1] = { skuKey, -delta }
        end
      end
    end
    released[#released + 1] = { id, changes }
  end
end

local given = 0
for _, entry in ipairs(released) do if entry[2] then given = given + 1 end end
local seq = 0
if given > 0 then
  local stored = pcall_('GET', seqKey)
  if type(stored) == 'table' then fail(WRONGTYPE, '1 ' .. clean(stored.err)) end
  if stored then seq = integer(stored, 0, MAX_COUNTER, 'stored seq', CORRUPT, '1') end
  actual = call('TYPE', auditKey).ok
  if actual ~= 'none' and actual ~= 'stream' then fail(WRONGTYPE, '2 holds a ' .. actual .. ', expected a stream') end
  if actual == 'stream' then checkAuditSeq(auditKey, stored, seq) end
  if seq > MAX_COUNTER - given then fail(CORRUPT, '1 audit seq exhausted') end
  actual = call('TYPE', outboxKey).ok
  if actual ~= 'none' and actual ~= 'stream' then fail(WRONGTYPE, '3 holds a ' .. actual .. ', expected a stream') end
end

-- Phase 2: plan (levels in Lua memory; a SKU of several lines is written once, with its final level).
local results, audits = {}, {}
for _, entry in ipairs(released) do
  local id, changes = entry[1], entry[2]
  if changes then
    local encoded = {}
    for n, change in ipairs(changes) do
      local skuKey, amount = change[1], change[2]
      local before = levelQuantity[skuKey]
      local quantity = math.min(MAX_QUANTITY, before + amount)
      local version = levelVersion[skuKey] + 1
      levelQuantity[skuKey], levelVersion[skuKey] = quantity, version
      encoded[n] = '[' .. levelJson[skuKey] .. ',' .. (quantity - before) .. ',' .. quantity .. ',' .. version .. ']'
    end
    seq = seq + 1
    local list = '[' .. concat(encoded, ',') .. ']'
    audits[#audits + 1] = { seq, 'order ' .. id .. ' given back: its marketplace cancelled the whole order ' .. group, list }
    results[#results + 1] = '{"o":' .. quoted(id) .. ',"s":' .. seq .. ',"c":' .. list .. '}'
  end
end

-- Phase 3: write.
for _, key in ipairs(dirtyKeys) do call('HSET', key, 'quantity', levelQuantity[key] .. '', 'version', levelVersion[key] .. '') end
if #audits > 0 then call('SET', seqKey, seq .. '') end
for _, audit in ipairs(audits) do
  call('XADD', auditKey, audit[1] .. '-0', 'kind', 'restock', 'atMs', atMs, 'reason', audit[2], 'changes', audit[3])
  call('XADD', outboxKey, '*', 'atMs', atMs, 'changes', audit[3])
end
local writes = {}
if nowCancelled and not cancelled then writes[#writes + 1] = 'cancelled' writes[#writes + 1] = '1' end
if added then writes[#writes + 1] = 'count' writes[#writes + 1] = count .. '' end
for _, entry in ipairs(released) do writes[#writes + 1] = 'l:' .. entry[1] writes[#writes + 1] = '0' end
if added and not nowCancelled then writes[#writes + 1] = 'l:' .. line writes[#writes + 1] = count .. '' end
if #writes > 0 then
  call('HSET', groupKey, unpack(writes))
  call('PEXPIRE', groupKey, ttlMs)
end
return '{"c":' .. (nowCancelled and 1 or 0) .. ',"r":[' .. concat(results, ',') .. ']}'
`,
);
