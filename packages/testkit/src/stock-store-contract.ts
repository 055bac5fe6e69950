// StockStore contract suite (issue 3) — filled in by the Redis store work.
export {};
