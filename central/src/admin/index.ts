export { createAdminApp, adminOpenApi, type AdminAppDeps } from './admin-app.js';
export { adminAuth, type AdminEnv } from './admin-auth.js';
export type { AdminContext, ChangeKind } from './admin-context.js';
export { ADMIN_ROUTES } from './admin-routes.js';
export * from './admin-schemas.js';
export { startAdminServer, type AdminServer } from './admin-server.js';
export { ADMIN_KV, CanaryState, readCanary } from './admin-state.js';
export {
  ADMIN_TOKENS_ENV, AdminRole, AdminTokenEntry, AdminTokens, loadAdminTokens, parseAdminTokens, TokenVerifier, type AdminActor,
} from './admin-tokens.js';
export { canaryTopic, chooseFraction } from './canary-rollout.js';
export { ChangeFeed, probeChanges, type ChangeEvent } from './change-feed.js';
export { registerCopy } from './model-copies.js';
