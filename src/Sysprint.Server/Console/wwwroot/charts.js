// Charts drawn as SVG by hand: bar lists, the 24-hour histogram, the transition heatmap and the
// convergence curve. No library: a few shapes each, styled from app.css.

import { s, h } from './dom.js';

/** Horizontal bars, one per {key, count}, each label a link when link(key) gives one. */
export function barList(items, { id, link, empty = 'none' } = {}) {
  if (!items.length) return h('p', { class: 'muted', id }, empty);
  const max = Math.max(...items.map((i) => i.count));
  const row = 22;
  const width = 420;
  const label = 130;
  const svg = s('svg', { class: 'chart bars', id, viewBox: `0 0 ${width} ${items.length * row + 4}`, role: 'img' });
  items.forEach((item, i) => {
    const y = i * row + 2;
    const w = Math.max(2, ((width - label - 50) * item.count) / max);
    const text = s('text', { x: label - 6, y: y + 15, 'text-anchor': 'end', class: 'label' }, shorten(item.key, 18));
    svg.append(s('title', {}, `${item.key}: ${item.count}`));
    if (link) {
      const a = s('a', { href: link(item.key) }, text);
      svg.append(a);
    } else {
      svg.append(text);
    }
    svg.append(s('rect', { x: label, y: y + 3, width: w, height: row - 7, rx: 3, class: 'bar' }));
    svg.append(s('text', { x: label + w + 6, y: y + 15, class: 'value' }, item.count));
  });
  return svg;
}

/** 24 bars, one per hour up to now (UTC), from [{key: 'yyyy-MM-ddTHH:00:00Z', count}]. */
export function hourChart(byHour, nowIso, { id } = {}) {
  const counts = new Map(byHour.map((c) => [c.key, c.count]));
  const now = new Date(nowIso);
  now.setUTCMinutes(0, 0, 0);
  const hours = [];
  for (let i = 23; i >= 0; i--) {
    const t = new Date(now.getTime() - i * 3600 * 1000);
    const key = t.toISOString().replace(/\.\d+Z$/, 'Z');
    hours.push({ key, hour: t.getUTCHours(), count: counts.get(key) || 0 });
  }
  const max = Math.max(1, ...hours.map((x) => x.count));
  const width = 480;
  const height = 140;
  const bar = width / 24;
  const svg = s('svg', { class: 'chart hours', id, viewBox: `0 0 ${width} ${height + 18}`, role: 'img' });
  svg.append(s('line', { x1: 0, y1: height, x2: width, y2: height, class: 'axis' }));
  hours.forEach((x, i) => {
    const barHeight = (height - 14) * (x.count / max);
    const rect = s('rect', { x: i * bar + 2, y: height - barHeight, width: bar - 4, height: barHeight, rx: 2, class: 'bar' });
    rect.append(s('title', {}, `${x.key}: ${x.count} alerts`));
    svg.append(rect);
    if (x.count > 0) svg.append(s('text', { x: i * bar + bar / 2, y: height - barHeight - 3, 'text-anchor': 'middle', class: 'value small' }, x.count));
    if (x.hour % 3 === 0) svg.append(s('text', { x: i * bar + bar / 2, y: height + 14, 'text-anchor': 'middle', class: 'label small' }, `${String(x.hour).padStart(2, '0')}h`));
  });
  return svg;
}

/** The transition matrix: a cell per learnt previous → next pair, calls in number order. */
export function heatmap(matrix, { id } = {}) {
  const n = matrix.calls.length;
  if (n === 0) return h('p', { class: 'muted', id }, 'no transitions learnt');
  const labels = n <= 60;
  const margin = labels ? 90 : 10;
  const cell = Math.max(4, Math.min(16, Math.floor(560 / n)));
  const size = margin + n * cell + 4;
  const svg = s('svg', { class: 'chart heatmap', id, viewBox: `0 0 ${size} ${size}`, role: 'img' });
  svg.append(s('rect', { x: margin, y: margin, width: n * cell, height: n * cell, class: 'grid' }));
  if (labels) {
    matrix.calls.forEach((call, i) => {
      svg.append(s('text', { x: margin - 4, y: margin + i * cell + cell * 0.8, 'text-anchor': 'end', class: 'label tiny' }, call));
      svg.append(s('text', {
        x: 0, y: 0, transform: `translate(${margin + i * cell + cell * 0.75},${margin - 4}) rotate(-90)`, class: 'label tiny',
      }, call));
    });
  }
  for (const [row, col] of matrix.cells) {
    const rect = s('rect', { x: margin + col * cell, y: margin + row * cell, width: cell - 1, height: cell - 1, class: 'cell' });
    rect.append(s('title', {}, `${matrix.calls[row]} → ${matrix.calls[col]}`));
    svg.append(rect);
  }
  return svg;
}

/** New transitions brought by each learnt log, in learning order, with the fingerprint's size. */
export function convergence(points, { id } = {}) {
  if (!points.length) return h('p', { class: 'muted', id }, 'no logs learnt');
  const width = 520;
  const height = 160;
  const left = 36;
  const maxNew = Math.max(1, ...points.map((p) => p.new_transitions));
  const maxSize = Math.max(1, ...points.map((p) => p.size));
  const step = points.length > 1 ? (width - left - 10) / (points.length - 1) : 0;
  const x = (i) => left + i * step;
  const svg = s('svg', { class: 'chart convergence', id, viewBox: `0 0 ${width} ${height + 20}`, role: 'img' });
  svg.append(s('line', { x1: left, y1: height, x2: width - 10, y2: height, class: 'axis' }));
  svg.append(s('line', { x1: left, y1: 8, x2: left, y2: height, class: 'axis' }));
  svg.append(s('text', { x: left - 4, y: 14, 'text-anchor': 'end', class: 'label small' }, maxNew));
  svg.append(s('text', { x: left - 4, y: height, 'text-anchor': 'end', class: 'label small' }, 0));
  const size = points.map((p, i) => `${x(i)},${height - (height - 10) * (p.size / maxSize)}`).join(' ');
  svg.append(s('polyline', { points: size, class: 'line size' }));
  const fresh = points.map((p, i) => `${x(i)},${height - (height - 10) * (p.new_transitions / maxNew)}`).join(' ');
  svg.append(s('polyline', { points: fresh, class: 'line fresh' }));
  points.forEach((p, i) => {
    const dot = s('circle', { cx: x(i), cy: height - (height - 10) * (p.new_transitions / maxNew), r: 3, class: 'dot' });
    dot.append(s('title', {}, `${p.log}: +${p.new_transitions} (size ${p.size})`));
    svg.append(dot);
  });
  svg.append(s('text', { x: width - 10, y: height + 16, 'text-anchor': 'end', class: 'label small' }, `${points.length} logs learnt →`));
  return svg;
}

function shorten(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
