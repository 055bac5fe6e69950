// @synclag/redis-store — the StockStore port on Redis: one Lua script applies an order (or a batch of
// orders) atomically, idempotently, never below zero, with audit and outbox in the same step.

// --- Store ---
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_PARTITION,
  MAX_BATCH_SIZE,
  MAX_CALL_TIMEOUT_MS,
  RedisStockStore,
} from "./redis-stock-store.js";
export type { RedisCommandClient, RedisStockStoreConnectOptions, RedisStockStoreOptions } from "./redis-stock-store.js";

// --- Group commit (concurrent applyOrder calls → one script call) ---
export { DEFAULT_GROUP_COMMIT_ORDERS, GroupCommitStockStore } from "./group-commit-stock-store.js";
export type { GroupCommitStats, GroupCommitStockStoreOptions } from "./group-commit-stock-store.js";

// --- Revision ledger (revisions spent per listing per UTC day, for a restarted engine to take back) ---
export { RevisionLedger, revisionLedgerKey } from "./revision-ledger.js";
export type { RevisionCount, RevisionLedgerOptions, RevisionLedgerStats } from "./revision-ledger.js";

// --- Errors ---
export { RedisStockStoreError } from "./errors.js";
export type { RedisStockStoreErrorReason } from "./errors.js";

// --- Key layout and scripts (for operators, tests and benchmarks) ---
export { CLUSTER_SLOTS, MAX_PARTITION_BYTES, checkKeyspace, keySlot, stockKeys } from "./keys.js";
export type { StockKeys } from "./keys.js";
export { APPLY_SCRIPT, MAX_COUNTER, READ_LEVELS_SCRIPT } from "./lua.js";
export type { LuaScript } from "./lua.js";
export { encodeApply } from "./script-protocol.js";
export type { ApplyOp, ScriptCall } from "./script-protocol.js";
