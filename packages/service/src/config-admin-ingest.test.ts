// The admin token (`adminToken`, SYNCLAG_ADMIN_TOKEN) and the ingest's connection settings
// (`ingest.maxConnections`, `ingest.idleTimeout`): read from the file and the environment, checked, and
// the token never printed.
import { describe, expect, it } from "vitest";
import { loadServiceConfig, redactConfig } from "./config.js";
import { file, problemsOf } from "./config-test-support.js";

const TOKEN = "0123456789abcdef0123456789abcdef";

describe("config: adminToken", () => {
  it("is read from SYNCLAG_ADMIN_TOKEN (surrounding whitespace trimmed) or the file; absent by default", () => {
    expect(loadServiceConfig({}, {}).adminToken).toBeUndefined();
    expect(loadServiceConfig({}, { SYNCLAG_ADMIN_TOKEN: `${TOKEN}\n` }).adminToken).toBe(TOKEN);
    expect(loadServiceConfig({ config: file("engine.yaml", `adminToken: "${TOKEN}"\n`) }, {}).adminToken).toBe(TOKEN);
  });

  it("is redacted when the configuration is printed", () => {
    const printed = JSON.stringify(redactConfig(loadServiceConfig({}, { SYNCLAG_ADMIN_TOKEN: TOKEN })));
    expect(printed).not.toContain(TOKEN);
    expect(printed).toContain('"adminToken":"[redacted]"');
  });

  it("refuses a blank, short or spaced token, naming the variable and never quoting it", () => {
    for (const bad of ["", "   ", "short-token", "0123456789abcdef 0123456789abcdef", "0123456789abcdef\u00e90123"]) {
      const problems = problemsOf(() => loadServiceConfig({}, { SYNCLAG_ADMIN_TOKEN: bad }));
      expect(problems).toEqual([expect.stringMatching(/^SYNCLAG_ADMIN_TOKEN \(adminToken\): must be at least 16 visible ASCII characters/)]);
      if (bad.trim() !== "") expect(problems.join("\n")).not.toContain(bad.trim());
    }
  });
});

describe("config: the ingest's connection settings", () => {
  it("maxConnections and idleTimeout: none by default (the ingest's own defaults), read from the environment or the file", () => {
    expect(loadServiceConfig({}, {}).ingest).not.toHaveProperty("maxConnections");
    expect(loadServiceConfig({}, {}).ingest).not.toHaveProperty("idleTimeout");
    expect(loadServiceConfig({}, { SYNCLAG_INGEST_MAX_CONNECTIONS: "200", SYNCLAG_INGEST_IDLE_TIMEOUT: "65s" }).ingest).toMatchObject({ maxConnections: 200, idleTimeout: 65_000 });
    expect(loadServiceConfig({ config: file("engine.yaml", "ingest:\n  maxConnections: 50\n  idleTimeout: 2s\n") }, {}).ingest).toMatchObject({ maxConnections: 50, idleTimeout: 2_000 });
  });

  it("refuses a cap that is no whole number from 1, and an idle timeout of 0 or without a unit", () => {
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_INGEST_MAX_CONNECTIONS: "0" }))).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_MAX_CONNECTIONS \(ingest\.maxConnections\): /)]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_INGEST_MAX_CONNECTIONS: "many" }))).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_MAX_CONNECTIONS \(ingest\.maxConnections\): /)]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_INGEST_IDLE_TIMEOUT: "0" }))).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_IDLE_TIMEOUT \(ingest\.idleTimeout\): must be more than 0/)]);
    expect(problemsOf(() => loadServiceConfig({}, { SYNCLAG_INGEST_IDLE_TIMEOUT: "30" }))).toEqual([expect.stringMatching(/^SYNCLAG_INGEST_IDLE_TIMEOUT \(ingest\.idleTimeout\): "30" has no unit/)]);
    expect(problemsOf(() => loadServiceConfig({ config: file("engine.yaml", "ingest:\n  idleTimeout: 5000\n") }, {})).join("\n")).toMatch(/ingest\.idleTimeout: 5000 has no unit/);
  });
});
