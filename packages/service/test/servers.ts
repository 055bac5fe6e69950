// Test support: skip (outside CI) or fail (CI=true) when the server binaries are missing.
import { SERVER_PACKAGES, hasBinary } from "../src/index.js";

export function serversMissing(): string | undefined {
  const missing = (Object.keys(SERVER_PACKAGES) as Array<keyof typeof SERVER_PACKAGES>).filter((binary) => !hasBinary(binary));
  if (missing.length === 0) return undefined;
  const message = `missing ${missing.join(", ")}: install with \`apt-get install -y ${missing.map((b) => SERVER_PACKAGES[b]).join(" ")}\``;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`skipping real-server tests: ${message}`);
  return message;
}
