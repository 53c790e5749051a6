// The composition root: the one place that turns the configuration into running parts. It opens the
// database and Redis (or their in-process twins), builds every adapter, the acquirer client, the
// principal cache, the app and the background jobs, and hands modules what they need through `Deps`.
// Entry points (src/main.ts, src/cluster.ts, src/acquirer/main.ts) and test helpers call it; nothing
// else imports adapters or src/config.ts (.dependency-cruiser.cjs enforces it).
export {
  openMigratedDatabase,
  startClusterPrimary,
  startServer,
  startStandaloneAcquirer,
  SDK_DIST,
  WEB_DIST,
  type RunningServer,
  type StartOptions,
} from './root.js';
export { openStores, type Stores } from './stores.js';
export { buildApp, type App, type AppOptions, type Route, type ServerContext } from './app.js';
export { startBackgroundWork, type BackgroundWork } from './background.js';
export { DEMO_DEVELOPER_EMAIL, registerDemoOrigins, seedDemo, type DemoGameInfo, type DemoInfo } from './seed.js';
export {
  GAME_DIST,
  startDemoSite,
  startDemoSiteOnFirstHost,
  type DemoSite,
  type DemoSiteConfig,
} from './demo-sites.js';
