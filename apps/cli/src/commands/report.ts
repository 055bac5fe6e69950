// `synclag report` — not built yet (see its issue); returns undefined so it is not offered.
import type { Command } from "commander";

export function reportCommand(): Command | undefined {
  return undefined;
}
