#!/usr/bin/env node
// synclag-loadgen — entry point; runs the TypeScript source through tsx (no build step).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
