import type { SeedOptions } from '../../src/db/seed/index.js';

/** The shared cluster's demo data: 500 products, 250 customers, 1,000 orders, 1,500 reviews. */
export const SHARED_SEED: SeedOptions = { scale: 0.05, seed: 7 };
