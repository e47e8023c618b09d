import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * PostgreSQL refuses to run as root. When this process is root (as CI is), the embedded
 * servers run as an unprivileged account instead; otherwise they run as the current user and
 * no identity switch happens.
 */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** Tried in order when running as root; `SHOPGRAPH_EMBEDDED_OS_USER` overrides the list. */
const CANDIDATE_ACCOUNTS = ['postgres', 'nobody'];

export function resolveServerUser(env: NodeJS.ProcessEnv = process.env): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const wanted = env.SHOPGRAPH_EMBEDDED_OS_USER?.trim();
  const candidates = wanted ? [wanted] : CANDIDATE_ACCOUNTS;
  for (const name of candidates) {
    const user = lookUpAccount(name);
    if (user && user.uid !== 0) return user;
  }
  throw new Error(
    `PostgreSQL cannot run as root and none of the accounts ${candidates.join(', ')} exists. ` +
      'Create an unprivileged account (useradd postgres) or name one in SHOPGRAPH_EMBEDDED_OS_USER.',
  );
}

function lookUpAccount(name: string): ServerUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Options for `spawn` that run a child as the server user (none when not root). */
export function spawnIdentity(user: ServerUser | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** Whether `user` can enter `dir` (every parent must be searchable by it). */
export function userCanEnter(user: ServerUser | undefined, dir: string): boolean {
  if (!user) return true;
  const result = spawnSync('sh', ['-c', 'cd "$1"', 'sh', dir], { uid: user.uid, gid: user.gid });
  return result.status === 0;
}

/** Hands a path (recursively) to the server user, so the server can own its data files. */
export async function giveToServerUser(user: ServerUser | undefined, target: string): Promise<void> {
  if (!user) return;
  await fs.chown(target, user.uid, user.gid);
  const stat = await fs.lstat(target);
  if (!stat.isDirectory()) return;
  for (const entry of await fs.readdir(target)) {
    await giveToServerUser(user, path.join(target, entry));
  }
}

export function currentUserName(): string {
  return os.userInfo().username;
}
