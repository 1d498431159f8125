/**
 * Real processes for the CLI tests: `aggregator …` (or any command) as a
 * child whose output is collected, whose exit is awaited, and whose output
 * can be waited on ("listening", a retry line) before the test acts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mainScript } from '../../src/loadgen/server-process.js';

/** The repository root (where package.json is), from dist/test/support/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Child {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly input?: string;
  /** Its own process group, so a test can signal the group like a terminal's Ctrl-C. */
  readonly detached?: boolean;
}

export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: options.detached,
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of waiters) w();
  };
  child.stdout?.on('data', (c) => {
    stdout += c;
    changed();
  });
  child.stderr?.on('data', (c) => {
    stderr += c;
    changed();
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
      changed();
    }),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (stdout + stderr).match(pattern);
          if (match) finish(() => resolve(match));
          else if (done) finish(() => reject(new Error(`exited before ${pattern}:\n${stdout}${stderr}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${stdout}${stderr}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** `aggregator …` as a child process. */
export function spawnAggregator(args: readonly string[], options: SpawnOptions = {}): Child {
  return spawnProcess(process.execPath, [mainScript, ...args], options);
}

/** Runs `aggregator …` to its end (killed after 2 minutes, so a hang fails the test instead of stalling it). */
export async function runAggregator(args: readonly string[], options: SpawnOptions = {}): Promise<Exit> {
  const run = spawnAggregator(args, options);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 120_000);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A port nothing listens on (just released by the kernel). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The lines of a text, without the empty last one. */
export const linesOf = (text: string) => text.split('\n').filter((l) => l !== '');

/** An error report as a user sees it: one line, no stack frames. */
export function assertOneLine(stderr: string): void {
  assert.equal(linesOf(stderr).length, 1, `one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}
