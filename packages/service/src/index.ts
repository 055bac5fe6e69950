// @synclag/service — the reference engine as a service (ingest gateway, worker, metrics, health,
// graceful shutdown) and the real-time runner behind `synclag run` (private servers, mock
// marketplaces, open-model load generator, ground truth from the marketplaces' admin API).

// --- Engine service ---
export { EngineService, createLogger } from "./engine-service.js";
export type { EngineServiceOptions } from "./engine-service.js";
export { channelSecrets, loadServiceConfig, natsServers, redactConfig, serviceConfigSchema } from "./config.js";
export { redactChannelSpec, redactUrlCredentials } from "./redact.js";
export type { ChannelConfigEntry, ConfigFlags, ServiceConfig, ServiceConfigInput } from "./config.js";
export { startIngestServer } from "./ingest-server.js";
export type { IngestChannel, IngestServerOptions, RunningIngestServer } from "./ingest-server.js";
export { LATENCY_BUCKETS_MS, PrometheusMetrics, teeMetrics } from "./prometheus-metrics.js";
export { LagObservingClient } from "./lag-observing-client.js";
export { SystemScheduler, systemClock, systemRandom } from "./system-time.js";
export { timeLapsedProfile } from "./time-lapse-profile.js";

// --- Errors ---
export { ServiceError } from "./errors.js";
export type { ServiceErrorReason } from "./errors.js";

// --- Real-time runner (`synclag run`) ---
export { runReal } from "./real-run.js";
export type { RealChannelResult, RealResultDocument, RealRunOptions, RealStrategyResult } from "./real-run.js";
export { LoadGenerator } from "./load-generator.js";
export type { ArrivalOutcome, LoadGeneratorOptions, LoadReport } from "./load-generator.js";
export { MarketplaceTruth } from "./marketplace-truth.js";
export type { ListingTruth, MarketplaceStats, MockOrderTruth, TimelineEntry } from "./marketplace-truth.js";
export { SERVER_PACKAGES, freePort, hasBinary, startPrivateNats, startPrivateRedis } from "./private-servers.js";
export type { PrivateServer } from "./private-servers.js";
