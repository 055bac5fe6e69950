// `synclag demo` — not built yet (see its issue); returns undefined so it is not offered.
import type { Command } from "commander";

export function demoCommand(): Command | undefined {
  return undefined;
}
