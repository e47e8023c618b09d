import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isBackupId, parseManifest, type BackupManifest } from './manifest.js';
import { BackupNotFoundError, type BackupTarget } from './target.js';

/**
 * Backups in a local directory: each in `<id>/`, written first as `<id>.partial/` and renamed
 * once its manifest is in, so a crash or a failed backup never leaves a directory that looks
 * complete.
 */
export class LocalTarget implements BackupTarget {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `local ${dir}`;
  }

  async writeFile(id: string, file: string, content: Readable): Promise<void> {
    const partial = this.partialDir(id);
    await fs.mkdir(partial, { recursive: true, mode: 0o700 });
    await pipeline(content, createWriteStream(path.join(partial, file), { mode: 0o600 }));
  }

  async finish(manifest: BackupManifest): Promise<void> {
    const partial = this.partialDir(manifest.id);
    await fs.writeFile(path.join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(partial, path.join(this.dir, manifest.id));
  }

  async abandon(id: string): Promise<void> {
    await fs.rm(this.partialDir(id), { recursive: true, force: true });
  }

  async list(): Promise<BackupManifest[]> {
    const entries = await fs.readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const manifests: BackupManifest[] = [];
    for (const entry of entries.filter(isBackupId).sort()) {
      const text = await fs.readFile(path.join(this.dir, entry, 'manifest.json'), 'utf8').catch(() => undefined);
      if (text) manifests.push(parseManifest(text));
    }
    return manifests;
  }

  async manifest(id: string): Promise<BackupManifest> {
    if (!isBackupId(id)) throw new BackupNotFoundError(id, this.description);
    const text = await fs.readFile(path.join(this.dir, id, 'manifest.json'), 'utf8').catch(() => undefined);
    if (!text) throw new BackupNotFoundError(id, this.description);
    return parseManifest(text);
  }

  async readFile(id: string, file: string): Promise<Readable> {
    return createReadStream(path.join(this.dir, id, path.basename(file)));
  }

  async delete(id: string): Promise<void> {
    if (isBackupId(id)) await fs.rm(path.join(this.dir, id), { recursive: true, force: true });
  }

  private partialDir(id: string): string {
    return path.join(this.dir, `${id}.partial`);
  }
}
