import { h, table } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export interface ChartPoint {
  label: string;
  value: number | null;
}

/**
 * A bar chart as SVG with a title for assistive technology, and the same numbers as a table below it (a
 * chart alone says nothing to a screen reader or to a test).
 */
export function barChart(title: string, points: ChartPoint[], unit = ''): HTMLElement {
  const width = 720;
  const height = 220;
  const pad = { left: 44, bottom: 36, top: 12, right: 8 };
  const values = points.map((p) => p.value ?? 0);
  const max = Math.max(1, ...values);
  const band = (width - pad.left - pad.right) / Math.max(1, points.length);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart' });
  const titleEl = svg('title', {});
  titleEl.textContent = title;
  chart.appendChild(titleEl);
  chart.appendChild(
    svg('line', {
      x1: pad.left,
      y1: height - pad.bottom,
      x2: width - pad.right,
      y2: height - pad.bottom,
      class: 'axis',
    }),
  );
  const maxLabel = svg('text', { x: pad.left - 6, y: pad.top + 10, 'text-anchor': 'end', class: 'tick' });
  maxLabel.textContent = `${Number.isInteger(max) ? max : max.toFixed(2)}${unit}`;
  chart.appendChild(maxLabel);
  points.forEach((p, i) => {
    const v = p.value ?? 0;
    const barHeight = ((height - pad.top - pad.bottom) * v) / max;
    const bar = svg('rect', {
      x: pad.left + i * band + band * 0.1,
      y: height - pad.bottom - barHeight,
      width: Math.max(1, band * 0.8),
      height: barHeight,
      class: p.value === null ? 'bar empty' : 'bar',
    });
    const tip = svg('title', {});
    tip.textContent = `${p.label}: ${p.value ?? 'no data'}${unit}`;
    bar.appendChild(tip);
    chart.appendChild(bar);
    const every = Math.ceil(points.length / 8);
    if (i % every === 0) {
      const label = svg('text', {
        x: pad.left + i * band + band / 2,
        y: height - pad.bottom + 16,
        'text-anchor': 'middle',
        class: 'tick',
      });
      label.textContent = p.label;
      chart.appendChild(label);
    }
  });
  const details = h(
    'details',
    {},
    h('summary', {}, `${title}: the numbers`),
    table(
      title,
      ['period', `value${unit ? ` (${unit})` : ''}`],
      points.map((p) => [p.label, p.value === null ? '—' : String(p.value)]),
    ),
  );
  return h(
    'figure',
    { class: 'chart-figure' },
    h('figcaption', {}, title),
    chart as unknown as Node,
    details,
  );
}
