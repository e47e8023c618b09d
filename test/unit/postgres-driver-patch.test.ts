import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const driverDir = path.dirname(fileURLToPath(import.meta.resolve('postgres')));

describe('the patched postgres driver (.patches/, applied by npm install)', () => {
  it.each(['src/connection.js', 'cjs/src/connection.js'])('guards %s against writing to a closed socket', async (file) => {
    const source = await readFile(path.join(driverDir, '..', file), 'utf8');
    expect(source, 'run npm install: its postinstall applies .patches/postgres+3.4.9.patch').toContain(
      'ShopGraph patch (porsager/postgres#1154, #1208)',
    );
  });

  it.each(['src/connection.js', 'cjs/src/connection.js'])('resumes the socket of %s when a COPY to the client ends', async (file) => {
    const source = await readFile(path.join(driverDir, '..', file), 'utf8');
    expect(source, 'run npm install: its postinstall applies .patches/postgres+3.4.9.patch').toContain(
      'socket && socket.isPaused() && socket.resume()',
    );
  });

  it.each(['src/connection.js', 'cjs/src/connection.js'])('holds the promise of the type lookup of %s', async (file) => {
    const source = await readFile(path.join(driverDir, '..', file), 'utf8');
    expect(source, 'run npm install: its postinstall applies .patches/postgres+3.4.9.patch').toContain(
      'return fetchArrayTypes().catch(() => {})',
    );
  });
});
