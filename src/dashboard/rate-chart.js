/*
 * Events/s and duplicates/s over the last minutes, drawn with uPlot (loaded
 * as a classic script before the modules, from this server). Rates are the
 * differences between two /stats polls divided by the time between them.
 */

const height = 220;
const number = new Intl.NumberFormat('en-US');
const rate = (v) => (v == null ? '–' : number.format(Math.round(v)));
const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false });

export class RateChart {
  #plot;
  #windowSeconds;
  #previous = null;
  #series = { t: [], received: [], duplicates: [] };

  constructor(container, windowSeconds) {
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
          // Whole seconds at least: the points are one poll (about a second) apart.
          {
            incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
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

  /** Adds the rates since the previous /stats answer. */
  record(stats) {
    const now = Date.now() / 1000;
    const current = { t: now, received: stats.received, duplicates: stats.duplicate_dropped };
    const previous = this.#previous;
    this.#previous = current;
    if (previous === null || now <= previous.t) return;
    const s = this.#series;
    const dt = now - previous.t;
    s.t.push(now);
    s.received.push(Math.max(0, (current.received - previous.received) / dt));
    s.duplicates.push(Math.max(0, (current.duplicates - previous.duplicates) / dt));
    while (s.t.length > 0 && s.t[0] < now - this.#windowSeconds) {
      s.t.shift();
      s.received.shift();
      s.duplicates.shift();
    }
    this.#plot?.setData([s.t, s.received, s.duplicates]);
  }
}
