// Test support: a logger (the service's own, JSON lines) whose output the test can read back.
import { Writable } from "node:stream";
import { createLogger } from "../src/engine-service.js";

export interface CapturedLog {
  /** Every line logged so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The raw text logged so far. */
  text(): string;
  readonly logger: ReturnType<typeof createLogger>;
}

export function captureLog(level: Parameters<typeof createLogger>[0] = "info"): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  let raw = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString("utf8");
      raw += text;
      for (const line of text.split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, text: () => raw, logger: createLogger(level, stream) };
}
