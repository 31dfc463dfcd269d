// The public API of the demo server: build the app over a store you opened, or start the whole server.

export type { DemoApp, DemoAppOptions } from './app.js';
export { createDemoApp } from './app.js';
export type { AppDeps, AppEnv } from './app-env.js';
export { minRole } from './app-env.js';
export type { EventFeedOptions } from './events/event-feed.js';
export { EventFeed } from './events/event-feed.js';
export type { Problem } from './problem.js';
export { problem, problemOf, statusOf } from './problem.js';
export type { DemoServer, DemoServerOptions } from './server.js';
export { DEMO_PLUGINS, openDemoStore, startDemoServer, UI_DIR } from './server.js';
export type { TokenGrant } from './tokens.js';
export { demoGrants, readTokenFile, TokenTable } from './tokens.js';
