// HTML escaping for the report. Everything that comes from a result document (scenario names,
// descriptions, channel ids, check details) is data, not markup. Easy to get wrong: the JSON data
// block — a "</script>" inside a string would end the element early, so "<" is escaped there too.

export function escapeHtml(value: string | number): string {
  return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** JSON for a `<script type="application/json">` element: valid JSON that cannot close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
