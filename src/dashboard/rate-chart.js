/*
 * Events/s and duplicates/s over the last hour, drawn with uPlot (loaded as a
 * classic script before the modules, from this server). The points are the
 * server's per-second counts (GET /stats/history): the chart opens with the
 * history the server kept, then appends each new complete second.
 */

const height = 220;
const number = new Intl.NumberFormat('en-US');
const rate = (v) => (v == null ? '–' : number.format(Math.round(v)));
const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false });

export class RateChart {
  #plot;
  #container;
  #windowSeconds;
  #series = { t: [], received: [], duplicates: [] };

  constructor(container, windowSeconds) {
    this.#container = container;
    this.#windowSeconds = windowSeconds;
    if (typeof uPlot !== 'function') return;
    const width = () => Math.max(240, container.clientWidth);
    this.#plot = new uPlot(
      {
        width: width(),
        height,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [
          {},
          { label: 'events/s', stroke: '#2563eb', width: 2, value: (_u, v) => rate(v) },
          { label: 'duplicates/s', stroke: '#d97706', width: 2, value: (_u, v) => rate(v) },
        ],
        axes: [
          // Whole seconds at least: the points are one second apart.
          {
            incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800],
            space: 70,
            values: (_u, ticks) => ticks.map(clock),
          },
          { size: 60 },
        ],
      },
      [[], [], []],
      container,
    );
    new ResizeObserver(() => this.#plot.setSize({ width: width(), height })).observe(container);
  }

  /** The last second drawn (Unix seconds), or undefined before any: where the next poll starts. */
  get last() {
    const t = this.#series.t;
    return t.length === 0 ? undefined : t[t.length - 1];
  }

  /** Appends the seconds of a GET /stats/history answer that are newer than the last drawn. */
  append(history) {
    const s = this.#series;
    history.received.forEach((received, i) => {
      const t = history.from + i;
      if (this.last !== undefined && t <= this.last) return;
      s.t.push(t);
      s.received.push(received);
      s.duplicates.push(history.duplicates[i]);
    });
    const oldest = (this.last ?? 0) - this.#windowSeconds;
    while (s.t.length > 0 && s.t[0] <= oldest) {
      s.t.shift();
      s.received.shift();
      s.duplicates.shift();
    }
    // What is drawn, readable from outside the canvas (the browser test checks it).
    this.#container.dataset.points = String(s.t.length);
    this.#container.dataset.received = String(s.received.reduce((a, b) => a + b, 0));
    this.#plot?.setData([s.t, s.received, s.duplicates]);
  }
}
