// Line charts on uPlot (a canvas: ~22 KB gzip, fast with thousands of points). A canvas says nothing to a screen reader, so
// every chart comes with a one-line summary (role="img" + aria-label) and its numbers in a table under "Show data".
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';

export interface Line {
  label: string;
  values: (number | null)[];
  /** dashed lines tell series apart without relying on colour */
  dash?: number[];
  stroke: string;
}

const COUNT_STEPS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b);

/** Draws `lines` over `labels` (one per x position) into `box`, sized to it and redrawn when it resizes. */
export function lineChart(box: HTMLElement, labels: string[], lines: Line[], fmt: (v: number) => string, counts = true): () => void {
  const width = () => Math.max(280, box.clientWidth || 600);
  const plot = new uPlot(
    {
      width: width(),
      height: 240,
      // From 0 (a flat line of zeros sits at the bottom, not mid-chart), with whole-number ticks for counts.
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: 'When', value: (_u, i) => (i === null ? '' : (labels[Math.round(i)] ?? '')) },
        ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, ...(l.dash && { dash: l.dash }), value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)), points: { show: labels.length <= 62 } })),
      ],
      axes: [
        { stroke: 'currentColor', space: 60, values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? '') : '')), grid: { show: false } },
        { stroke: 'currentColor', size: 60, ...(counts && { incrs: COUNT_STEPS }), values: (_u, splits) => splits.map((v) => fmt(v)), grid: { stroke: 'rgba(128,128,128,.2)' } },
      ],
    },
    [labels.map((_, i) => i), ...lines.map((l) => l.values)],
    box,
  );
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
  ro.observe(box);
  return () => {
    ro.disconnect();
    plot.destroy();
  };
}

/** The chart's numbers as a table, collapsed under "Show data" (keyboard and screen-reader users read the chart here). */
export function dataTable(caption: string, labels: string[], lines: Line[], fmt: (v: number) => string): HTMLElement {
  return h(
    'details',
    { class: 'data' },
    h('summary', null, 'Show data'),
    h(
      'table',
      null,
      h('caption', { class: 'vh' }, caption),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'When'), lines.map((l) => h('th', { scope: 'col', class: 'n' }, l.label)))),
      h('tbody', null, labels.map((x, i) => h('tr', null, h('th', { scope: 'row' }, x), lines.map((l) => h('td', { class: 'n' }, l.values[i] === null || l.values[i] === undefined ? '–' : fmt(l.values[i]!)))))),
    ),
  );
}
