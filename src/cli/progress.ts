/**
 * A one-line progress bar on a TTY (stderr): done/total, rate and the time
 * left at that rate. Elsewhere it draws nothing, so logs and pipes stay clean;
 * `note` prints a line either way (above the bar on a TTY).
 */
export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true && total > 0;
  const started = performance.now();
  let last = 0;
  let done = 0;
  let drawn = false;
  const draw = () => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const seconds = Math.max(0.001, (performance.now() - started) / 1000);
    const rate = done / seconds;
    const eta = done === 0 ? '--' : formatSeconds((total - done) / rate);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% ${done}/${total} events ${Math.round(rate)}/s ETA ${eta} \x1b[K`,
    );
    drawn = true;
  };
  return {
    update(events: number) {
      done = events;
      if (!tty) return;
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw();
    },
    note(line: string) {
      if (!tty) {
        stream.write(`${line}\n`);
        return;
      }
      stream.write(`\r\x1b[K${line}\n`);
      draw();
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}

/** 75 → "1m15s", 3725 → "1h02m"; whole seconds below a minute. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
