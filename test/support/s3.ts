import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/db/backup/index.js';

export interface LocalS3 {
  settings: S3Settings;
  stop(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver) on loopback, with files in a temp directory and one
 * bucket. Credentials are s3rver's fixed test pair, set in the environment for the AWS SDK.
 */
export async function startLocalS3(bucket = 'shopgraph-backups'): Promise<LocalS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = (await server.run()) as { port: number };
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const settings: S3Settings = {
    bucket,
    prefix: 'shopgraph/',
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
  };
  const client = new S3Client({ region: settings.region, endpoint: settings.endpoint, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    settings,
    async stop() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
