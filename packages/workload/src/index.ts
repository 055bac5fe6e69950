// @synclag/workload — placeholder, filled in by its issue.
export {};
