import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * Signals for a whole PostgreSQL server: the postmaster and every process under it. Each
 * backend calls setsid() and so leads a process group of its own: a signal to the
 * postmaster's group reaches the postmaster alone, and its backends run on (they committed
 * transactions for over a second after the postmaster was SIGKILLed).
 */

interface ProcessEntry {
  pid: number;
  parent: number;
  /** Zombie: exited, waiting to be reaped. Counts as gone. */
  zombie: boolean;
}

/** Kills the process and everything under it at once, and returns when all of it is gone. */
export async function killTree(rootPid: number, timeoutMs = 10_000): Promise<void> {
  // Stopped first, so the postmaster cannot start a child between the listing and the kill.
  signal(rootPid, 'SIGSTOP');
  const tree = await descendantsOf(rootPid);
  for (const pid of [...tree, rootPid]) signal(pid, 'SIGKILL');
  await waitUntilGone([rootPid, ...tree], timeoutMs);
}

/** Freezes the process and everything under it (SIGSTOP), as a VM pause or an I/O stall would. */
export async function pauseTree(rootPid: number): Promise<void> {
  signal(rootPid, 'SIGSTOP');
  for (const pid of await descendantsOf(rootPid)) signal(pid, 'SIGSTOP');
}

/** Lets a paused tree run again. */
export async function resumeTree(rootPid: number): Promise<void> {
  for (const pid of await descendantsOf(rootPid)) signal(pid, 'SIGCONT');
  signal(rootPid, 'SIGCONT');
}

/** The pids of every process under `rootPid` (children, their children, ...). */
export async function descendantsOf(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await listProcesses()) {
    if (entry.zombie) continue;
    children.set(entry.parent, [...(children.get(entry.parent) ?? []), entry.pid]);
  }
  const found: number[] = [];
  const pending = [...(children.get(rootPid) ?? [])];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    found.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Waits until none of `pids` runs (exited or a zombie); throws naming those left after `timeoutMs`. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = new Set((await listProcesses()).filter((entry) => !entry.zombie).map((entry) => entry.pid));
    const left = pids.filter((pid) => running.has(pid));
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${left.join(', ')} still run ${timeoutMs} ms after they were stopped`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // Gone already: nothing to signal.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function listProcesses(): Promise<ProcessEntry[]> {
  if (process.platform === 'linux') return listFromProc();
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,stat=']);
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, parent, state]) => ({ pid: Number(pid), parent: Number(parent), zombie: state?.startsWith('Z') ?? false }));
}

async function listFromProc(): Promise<ProcessEntry[]> {
  const entries: ProcessEntry[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    entries.push({ pid: Number(name), parent: Number(parent), zombie: state === 'Z' || state === 'X' });
  }
  return entries;
}
