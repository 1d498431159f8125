/**
 * Starts `aggregator serve` as a child process and waits for its "listening"
 * log line; used by `aggregator bench` and by the tests that need a real
 * process to kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from '../cli/heap-tuning.js';

export const mainScript = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line the server printed so far. */
  readonly logs: string[];
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function startServer(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
  /**
   * `script`: what to run, e.g. another build's main.js or a benchmark baseline (same flags, same
   * log line); `nodeArgs`: flags for node itself (--cpu-prof is not allowed in NODE_OPTIONS).
   */
  launch: { readonly script?: string; readonly nodeArgs?: readonly string[] } = {},
): Promise<ServerProcess> {
  const { script = mainScript, nodeArgs = [] } = launch;
  const serve = [script, 'serve', '--host', '127.0.0.1', '--port', '0'];
  // Launched like `npm start` and the image launch it (heap-tuning.ts); another build or a baseline as given.
  const flags = script === mainScript ? serverNodeFlags : [];
  const child = spawn(process.execPath, [...flags, ...nodeArgs, ...serve, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: nobody holds a handle to stop it, and its pipes would keep the caller alive.
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    child,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, sig] = (await exited) as [number | null, NodeJS.Signals | null];
      return code ?? sig ?? 'unknown';
    },
  };
}
