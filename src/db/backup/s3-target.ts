import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { isBackupId, parseManifest, type BackupManifest } from './manifest.js';
import { BackupNotFoundError, type BackupTarget } from './target.js';

export interface S3Settings {
  bucket: string;
  /** Key prefix, for example "shopgraph/"; backups go to `<prefix><id>/<file>`. */
  prefix: string;
  region: string;
  /** For S3-compatible services (MinIO, Ceph, R2...); unset: AWS. */
  endpoint?: string;
  /** Path-style URLs (bucket in the path), which most S3-compatible services want. */
  forcePathStyle: boolean;
}

/**
 * Backups in an S3-compatible bucket, through the official AWS SDK. Credentials come from the
 * SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles).
 * The manifest is uploaded last; a backup without it is unfinished, never listed, and its
 * objects are deleted when the backup fails.
 */
export class S3Target implements BackupTarget {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.description = `s3 ${settings.bucket}/${settings.prefix}`;
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible servers do not all know the newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async writeFile(id: string, file: string, content: Readable): Promise<void> {
    // Files are buffered: a PUT needs its length, and backup files are compressed table dumps.
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, file), Body: Buffer.concat(chunks) }));
  }

  async finish(manifest: BackupManifest): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(manifest.id, 'manifest.json'),
        Body: JSON.stringify(manifest, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  async abandon(id: string): Promise<void> {
    await this.delete(id);
  }

  async list(): Promise<BackupManifest[]> {
    const manifests: BackupManifest[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const [id, file] = (object.Key ?? '').slice(this.settings.prefix.length).split('/');
        if (file === 'manifest.json' && id && isBackupId(id)) manifests.push(await this.manifest(id));
      }
      token = page.NextContinuationToken;
    } while (token);
    return manifests.sort((a, b) => a.id.localeCompare(b.id));
  }

  async manifest(id: string): Promise<BackupManifest> {
    if (!isBackupId(id)) throw new BackupNotFoundError(id, this.description);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, 'manifest.json') }));
      return parseManifest(await object.Body!.transformToString());
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') throw new BackupNotFoundError(id, this.description);
      throw error;
    }
  }

  async readFile(id: string, file: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, file) }));
    return object.Body as Readable;
  }

  async delete(id: string): Promise<void> {
    const listed = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: `${this.settings.prefix}${id}/` }),
    );
    const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (objects.length > 0)
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: objects } }));
  }

  private key(id: string, file: string): string {
    return `${this.settings.prefix}${id}/${file}`;
  }
}
