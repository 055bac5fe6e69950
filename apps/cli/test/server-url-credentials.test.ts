// `synclag run --nats-url / --redis-url` problems never echo credentials (found by review: a bad
// `nats://svc:s3cret@127.0.0.1:0` printed the password), and --nats-url takes the comma-separated server
// list the engine service takes (cluster seeds), each server checked on its own.
import { describe, expect, it } from "vitest";
import { NATS_URL, REDIS_URL, checkServerUrl } from "../src/options.js";
import { LONG, expectUsageError, runCli } from "./support.js";

function problemsOf(flag: string, text: string, kind: typeof NATS_URL | typeof REDIS_URL): string[] {
  const problems: string[] = [];
  checkServerUrl(flag, text, kind, problems);
  return problems;
}

describe("server URL flags: credentials redacted, NATS server lists", () => {
  it("names the problem of a URL with credentials without its user or password", () => {
    const cases: Array<[string, string, typeof NATS_URL | typeof REDIS_URL]> = [
      ["--nats-url", "nats://svc:s3cret@127.0.0.1:0", NATS_URL], // port 0
      ["--nats-url", "http://svc:s3cret@127.0.0.1:4222", NATS_URL], // scheme
      ["--nats-url", "nats://svc:s3cret@", NATS_URL], // no host
      ["--nats-url", "nats://svc:s3cret@[bad", NATS_URL], // not a URL
      ["--redis-url", "redis://:s3cret@127.0.0.1:0", REDIS_URL],
      ["--redis-url", "http://svc:s3cret@127.0.0.1:6379", REDIS_URL],
    ];
    for (const [flag, text, kind] of cases) {
      const problems = problemsOf(flag, text, kind);
      expect(problems, text).toHaveLength(1);
      expect(problems[0], text).not.toMatch(/s3cret|svc/);
      expect(problems[0], text).toContain("[redacted]@");
    }
  });

  it("takes a comma-separated NATS server list, checks each server and refuses an empty entry", () => {
    expect(problemsOf("--nats-url", "nats://127.0.0.1:4222,nats://127.0.0.1:4223", NATS_URL)).toEqual([]);
    expect(problemsOf("--nats-url", "nats://u:p%40ss@n1:4222, tls://u:p%40ss@n2", NATS_URL)).toEqual([]);
    const bad = problemsOf("--nats-url", "nats://n1:4222,http://svc:s3cret@n2:4222", NATS_URL);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toContain("http://[redacted]@n2:4222");
    expect(bad[0]).not.toContain("s3cret");
    expect(problemsOf("--nats-url", "nats://n1:4222,,nats://n2:4222", NATS_URL)).toEqual([expect.stringContaining("empty entry")]);
    // Redis takes one URL.
    expect(problemsOf("--redis-url", "redis://127.0.0.1:6379,redis://127.0.0.1:6380", REDIS_URL)).toHaveLength(1);
  });

  it("synclag run prints no password of a bad --nats-url (exit 2)", LONG, () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "3s", "--nats-url", "nats://svc:s3cret@127.0.0.1:0"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain("--nats-url");
    expect(result.stderr).not.toContain("s3cret");
  });
});
