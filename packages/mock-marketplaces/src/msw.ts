// @synclag/mock-marketplaces/msw — the msw shell, a separate entry point so that importing the
// mocks for the node:http server does not load msw.
export { createMswHandlers, loadMsw, loadMswNode, toWireRequest } from "./shells/msw-handlers.js";
export type { Msw, MswMount, MswNode } from "./shells/msw-handlers.js";
