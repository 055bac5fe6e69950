// @synclag/redis-store — placeholder, filled in by its issue.
export {};
