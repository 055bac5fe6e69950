#!/usr/bin/env node
// synclag — entry point. Source-first: the CLI runs its TypeScript directly through tsx, so
// `npx synclag` works right after `npm ci`, with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
