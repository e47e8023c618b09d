import { Readable } from 'node:stream';
import type { BackupManifest } from './manifest.js';
import type { BackupTarget } from './target.js';

/**
 * Two targets at once (a local directory and a bucket): every file goes to both, and a backup
 * is finished only when both have it. Reads come from the first that has the backup.
 */
export class HybridTarget implements BackupTarget {
  readonly description: string;

  constructor(private readonly targets: [BackupTarget, BackupTarget]) {
    this.description = targets.map((target) => target.description).join(' + ');
  }

  async writeFile(id: string, file: string, content: Readable): Promise<void> {
    // Held in memory once, then given to each target: files are compressed table dumps.
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    const whole = Buffer.concat(chunks);
    await Promise.all(this.targets.map((target) => target.writeFile(id, file, Readable.from([whole]))));
  }

  async finish(manifest: BackupManifest): Promise<void> {
    await Promise.all(this.targets.map((target) => target.finish(manifest)));
  }

  async abandon(id: string): Promise<void> {
    await Promise.all(this.targets.map((target) => target.abandon(id)));
  }

  async list(): Promise<BackupManifest[]> {
    const byId = new Map<string, BackupManifest>();
    for (const target of this.targets) for (const manifest of await target.list()) byId.set(manifest.id, manifest);
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async manifest(id: string): Promise<BackupManifest> {
    return this.firstWith(id, (target) => target.manifest(id));
  }

  async readFile(id: string, file: string): Promise<Readable> {
    return this.firstWith(id, async (target) => {
      await target.manifest(id);
      return target.readFile(id, file);
    });
  }

  async delete(id: string): Promise<void> {
    await Promise.all(this.targets.map((target) => target.delete(id)));
  }

  private async firstWith<T>(id: string, read: (target: BackupTarget) => Promise<T>): Promise<T> {
    try {
      return await read(this.targets[0]);
    } catch {
      return read(this.targets[1]);
    }
  }
}
