/**
 * A small, real file system for disk-full tests: a tmpfs of a few MiB mounted
 * on a temp dir (needs root, or CAP_SYS_ADMIN in a container), unmounted when
 * the test ends. `fill()` takes every free byte with a filler file; `free()`
 * deletes it again.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir } from './harness.js';

export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the file system reports ENOSPC; returns the bytes written. */
  fill(): number;
  /** Deletes the filler file. */
  free(): void;
}

/** Mounts a tmpfs of `mib` MiB, or returns why it cannot (the caller skips with that message). */
export function mountSmallDisk(t: { after: (fn: () => void) => void }, mib: number): SmallDisk | string {
  const dir = makeTempDir('agg-small-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    removeDir(dir);
    return `cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): ${String((err as Error).message).split('\n')[0]}`;
  }
  t.after(() => {
    // Lazy unmount: a server that is still shutting down must not keep the mount around.
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    removeDir(dir);
  });
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      // The last partial chunk: fill the remaining bytes too, in small steps.
      const fd2 = openSync(filler, 'a');
      try {
        for (;;) written += writeSync(fd2, chunk.subarray(0, 512));
      } catch {
        // ENOSPC: full to the last block.
      } finally {
        closeSync(fd2);
      }
      return written;
    },
    free() {
      rmSync(filler, { force: true });
    },
  };
}
