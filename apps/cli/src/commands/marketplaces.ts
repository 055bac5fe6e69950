// `synclag marketplaces` — not built yet (see its issue); returns undefined so it is not offered.
import type { Command } from "commander";

export function marketplacesCommand(): Command | undefined {
  return undefined;
}
