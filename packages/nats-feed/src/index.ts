// @synclag/nats-feed — placeholder, filled in by its issue.
export {};
