export * from './catalog.js';
export * from './customers.js';
export * from './inventory.js';
export * from './orders.js';
export * from './reviews.js';
export * from './api-keys.js';
export * from './idempotency.js';
