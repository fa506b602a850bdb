export * from './scheduler.js';
export * from './seeded-rng.js';
export * from './manifest-verification.js';
export * from './http-keep-alive.js';
export * from './hono-errors.js';
export * from './typed-array-resize.js';
