// @synclag/marketplaces — placeholder, filled in by its issue.
export {};
