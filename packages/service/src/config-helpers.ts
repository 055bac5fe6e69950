// @synclag/service/config-helpers — the light entry: the service's own rules for reading and printing
// server URLs, for callers that check flags before anything runs (the CLI's --nats-url/--redis-url and
// --channel checks). Easy to get wrong: importing them from the package index loads nats, redis, pino,
// prom-client and the mock marketplaces — about half a second every `synclag --help` paid — so this
// module imports nothing but redact.ts, which imports nothing.

export { redactChannelSpec, redactUrlCredentials } from "./redact.js";

/** Every URL of a comma-separated NATS server list (cluster seeds), trimmed; empty entries kept (refused). */
export function natsServers(natsUrl: string): string[] {
  return natsUrl.split(",").map((server) => server.trim());
}
