// Private nats-server for tests (issue 4) — filled in by the JetStream feed work.
export {};
