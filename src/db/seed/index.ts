export { generateSeedData, type SeedData, type SeedOptions } from './generate.js';
export { seedDatabase, type SeedCounts, type SeedOutcome } from './load.js';
