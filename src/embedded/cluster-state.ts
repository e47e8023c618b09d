import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * What an embedded cluster remembers between runs (`cluster.json` in its data directory):
 * its nodes and ports, the credentials its servers were initialised with, and which node it
 * last made primary, so that a restart brings that one up as primary and turns any other
 * former primary into a replica. ShopGraph itself still discovers roles from the servers.
 */
export interface ClusterState {
  version: 1;
  superuser: string;
  password: string;
  database: string;
  nodes: { name: string; port: number }[];
  primary: string;
}

const STATE_FILE = 'cluster.json';

export async function readClusterState(dataDir: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as ClusterState;
  if (state.version !== 1) {
    throw new Error(
      `${path.join(dataDir, STATE_FILE)} has version ${String(state.version)}, which this ShopGraph does not know; use a new SHOPGRAPH_DATA_DIR.`,
    );
  }
  return state;
}

export async function writeClusterState(dataDir: string, state: ClusterState): Promise<void> {
  const file = path.join(dataDir, STATE_FILE);
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

export function newClusterState(ports: number[]): ClusterState {
  return {
    version: 1,
    superuser: 'shopgraph',
    password: randomBytes(18).toString('base64url'),
    database: 'shopgraph',
    nodes: ports.map((port, index) => ({ name: `pg${index + 1}`, port })),
    primary: 'pg1',
  };
}
