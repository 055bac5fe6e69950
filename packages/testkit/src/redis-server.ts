// Private redis-server for tests (issue 3) — filled in by the Redis store work.
export {};
