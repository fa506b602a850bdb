export * from './buffer-storage.js';
export * from './edge-client.js';
