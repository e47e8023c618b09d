import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Stops it with `signal` (SIGKILL after 15 s) and returns once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `shopgraph start` as a process of its own (from the sources, through tsx), for suites that
 * stop or kill the server itself. `env` is added to this process's environment; every chunk
 * of its output goes to `onOutput`. Resolves once it says it is serving; rejects with the end
 * of its output when it exits before that.
 */
export async function startServerProcess(env: Record<string, string>, onOutput: (text: string) => void = () => {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'start'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onChunk = (chunk: Buffer) => {
      const text = chunk.toString();
      onOutput(text);
      output = (output + text).slice(-20_000);
      if (output.includes('ShopGraph is serving')) resolve();
    };
    child.stdout!.on('data', onChunk);
    child.stderr!.on('data', onChunk);
    child.once('exit', (code, signal) =>
      reject(new Error(`the server exited (${code ?? signal}) before serving:\n${output.slice(-2000)}`)),
    );
  });
  let stopping: Promise<void> | undefined;
  return {
    child,
    stop(signal = 'SIGTERM') {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      });
      return stopping;
    },
  };
}
