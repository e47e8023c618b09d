import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generatedFile, generateResolverTypes } from '../../codegen.js';

describe('generated resolver types', () => {
  it('match the SDL in schema/ (run `npm run codegen` after changing it)', async () => {
    const committed = await readFile(generatedFile, 'utf8');
    expect(committed === (await generateResolverTypes()), 'src/graphql/generated/resolvers.ts is stale: run npm run codegen').toBe(true);
  });
});
