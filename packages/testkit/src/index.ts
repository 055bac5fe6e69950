// @synclag/testkit — placeholder, filled in by its issue.
export {};
