// @synclag/engine — placeholder, filled in by its issue.
export {};
