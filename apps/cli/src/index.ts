// @synclag/cli — placeholder, filled in by its issue.
export {};
