export * from './scheduler.js';
export * from './seeded-rng.js';
