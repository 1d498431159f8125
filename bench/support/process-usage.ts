/**
 * CPU seconds and RSS of another process on this machine, from /proc (Linux),
 * for measuring servers we do not control (nats-server, postgres).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

export function pidsOf(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** User + system CPU seconds the processes have used since they started. */
export function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + statCpuSeconds(`/proc/${pid}/stat`), 0);
}

/**
 * User + system CPU seconds of a process's main thread alone (its thread id is the process id):
 * with cpuSeconds, it splits a server's CPU into its event loop and everything else (a writer
 * thread, V8's garbage-collection helpers, libuv's pool).
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number {
  try {
    // Fields after the parenthesised command name: utime is the 12th, stime the 13th.
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    // The process went away; its CPU is no longer counted.
    return 0;
  }
}

export function rssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/** Samples RSS every `everyMs` until stopped; returns the peak. */
export function rssSampler(pids: readonly number[], everyMs = 200): { stop: () => number } {
  let peak = rssBytes(pids);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pids));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pids));
    },
  };
}
