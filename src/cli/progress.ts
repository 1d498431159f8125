/** A one-line progress bar on a TTY (stderr), silent elsewhere so logs and pipes stay clean. */
export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY || total === 0) return { update: (_done: number) => {}, finish: () => {} };
  const started = performance.now();
  let last = 0;
  const draw = (done: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const rate = done / Math.max(0.001, (performance.now() - started) / 1000);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% ${done}/${total} ${Math.round(rate)}/s `,
    );
  };
  return {
    update(done: number) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    finish() {
      stream.write('\n');
    },
  };
}
