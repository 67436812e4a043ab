// chart.js — small inline SVG charts built with createElementNS (no
// library, no innerHTML): lineChart() for series over time and
// barChart() for labelled values.  Each chart is an <svg role="img">
// with a <title> and <desc> (what it shows, and the latest values in
// words), axes with tick labels and a legend; colours come from CSS
// classes (.chart-s0 ... .chart-s5) so both themes apply.

const NS = 'http://www.w3.org/2000/svg';
let serial = 0;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A readable number: 1234567 -> "1.23M", 0.5 -> "0.5".
export function fmtNum(v) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2).replace(/\.?0+$/, '') + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(2).replace(/\.?0+$/, '') + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1).replace(/\.?0+$/, '') + 'k';
  if (a >= 100 || a === 0) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

// A clock time for an x value in milliseconds since the epoch.
export function fmtTime(ms) {
  const d = new Date(ms);
  if (isNaN(d)) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// A label cut to n characters (the whole is in the bar's <title>).
function fit(text, n) {
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}

// "Nice" tick values from lo to hi, about n of them.
function tickStep(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * mag).find((m) => m >= raw) || raw;
}

// hi raised to the next tick, so the top of the data has a label.
function niceTop(lo, hi) {
  if (!(hi > lo) || !isFinite(hi - lo)) return hi;
  const step = tickStep(lo, hi, 4);
  return Number((Math.ceil(hi / step - 1e-9) * step).toPrecision(12));
}

function ticks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const step = tickStep(lo, hi, n);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function frame(o, w, h) {
  const id = 'chart' + (++serial);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${w} ${h}`, width: w, height: h,
    role: 'img', 'aria-labelledby': id + '-t ' + id + '-d', preserveAspectRatio: 'xMinYMin meet',
    'data-test': o.test || 'chart' });
  svg.append(s('title', { id: id + '-t' }, o.title || 'Chart'),
    s('desc', { id: id + '-d' }, o.desc || ''));
  return svg;
}

// The y axis: grid lines and labels; returns the scale.
function yAxis(svg, box, lo, hi, fmt, label) {
  const y = (v) => box.y + box.h - ((v - lo) / (hi - lo || 1)) * box.h;
  for (const t of ticks(lo, hi, 4)) {
    svg.append(s('line', { class: 'chart-grid', x1: box.x, x2: box.x + box.w, y1: y(t), y2: y(t) }),
      s('text', { class: 'chart-tick', x: box.x - 6, y: y(t) + 4, 'text-anchor': 'end' }, fmt(t)));
  }
  svg.append(s('line', { class: 'chart-axis', x1: box.x, x2: box.x, y1: box.y, y2: box.y + box.h }));
  if (label) {
    svg.append(s('text', { class: 'chart-label', x: 12, y: box.y + box.h / 2,
      transform: `rotate(-90 12 ${box.y + box.h / 2})`, 'text-anchor': 'middle' }, label));
  }
  return y;
}

const KEY_W = 130; // a legend entry's width

// How many legend rows n names take from x in a chart w wide.
function legendRows(n, x, w) {
  return Math.ceil(n / Math.max(1, Math.floor((w - x) / KEY_W)));
}

function legend(svg, names, x, y, w) {
  const perRow = Math.max(1, Math.floor((w - x) / KEY_W));
  names.forEach((name, i) => {
    const lx = x + (i % perRow) * KEY_W, ly = y + Math.floor(i / perRow) * 15;
    svg.append(s('rect', { class: 'chart-key chart-s' + (i % 6), x: lx, y: ly - 9, width: 10, height: 10 }),
      s('text', { class: 'chart-legend', x: lx + 14, y: ly }, String(name).slice(0, 18)));
  });
}

// series: [{name, points: [[x, y], ...]}] with x in ms (time) or any
// number; opts: title, desc, xLabel, yLabel, yMin, yMax, yFormat,
// xFormat, width, height, test (its data-test).  With no points at all
// it says so inside the frame.
export function lineChart(o) {
  const series = o.series || [];
  const w = o.width || 560, base = o.height || 220;
  const hgt = base + (Math.max(1, legendRows(series.length, 58, w)) - 1) * 15;
  const svg = frame(o, w, hgt);
  const box = { x: 58, y: 14, w: w - 72, h: base - 62 };
  const pts = series.flatMap((se) => se.points.filter((p) => p[1] !== null && isFinite(p[1])));
  const fmtY = o.yFormat || fmtNum, fmtX = o.xFormat || fmtTime;
  if (pts.length === 0) {
    svg.append(s('text', { class: 'chart-none', x: w / 2, y: hgt / 2, 'text-anchor': 'middle' },
      o.none || 'No samples yet.'));
    return svg;
  }
  let xlo = Math.min(...pts.map((p) => p[0])), xhi = Math.max(...pts.map((p) => p[0]));
  if (xhi === xlo) { xlo -= 1; xhi += 1; }
  let ylo = o.yMin ?? Math.min(0, ...pts.map((p) => p[1]));
  let yhi = o.yMax ?? Math.max(...pts.map((p) => p[1]));
  if (!(yhi > ylo)) yhi = ylo + 1;
  if (o.yMax === undefined) yhi = niceTop(ylo, yhi);
  const y = yAxis(svg, box, ylo, yhi, fmtY, o.yLabel);
  const x = (v) => box.x + ((v - xlo) / (xhi - xlo)) * box.w;
  svg.append(s('line', { class: 'chart-axis', x1: box.x, x2: box.x + box.w,
    y1: box.y + box.h, y2: box.y + box.h }));
  for (const [i, t] of [xlo, (xlo + xhi) / 2, xhi].entries()) {
    svg.append(s('text', { class: 'chart-tick', x: x(t), y: box.y + box.h + 16,
      'text-anchor': i === 0 ? 'start' : i === 2 ? 'end' : 'middle' }, fmtX(t)));
  }
  if (o.xLabel) {
    svg.append(s('text', { class: 'chart-label', x: box.x + box.w / 2, y: box.y + box.h + 32,
      'text-anchor': 'middle' }, o.xLabel));
  }
  series.forEach((se, i) => {
    const p = se.points.filter((q) => q[1] !== null && isFinite(q[1]));
    if (p.length === 0) return;
    const d = p.map((q, j) => (j ? 'L' : 'M') + x(q[0]).toFixed(1) + ' ' + y(q[1]).toFixed(1)).join(' ');
    svg.append(s('path', { class: 'chart-line chart-s' + (i % 6), d, 'data-series': se.name }));
    if (p.length === 1) {
      svg.append(s('circle', { class: 'chart-dot chart-s' + (i % 6), cx: x(p[0][0]), cy: y(p[0][1]), r: 3 }));
    }
  });
  legend(svg, series.map((se) => se.name), box.x, base - 6, w);
  return svg;
}

// bars: [{label, value}]; opts as lineChart (yLabel, yFormat, yMax).
export function barChart(o) {
  const bars = o.bars || [];
  const w = o.width || 560, hgt = o.height || 220;
  const svg = frame(o, w, hgt);
  const box = { x: 58, y: 22, w: w - 72, h: hgt - 58 };
  const fmtY = o.yFormat || fmtNum;
  if (bars.length === 0) {
    svg.append(s('text', { class: 'chart-none', x: w / 2, y: hgt / 2, 'text-anchor': 'middle' },
      o.none || 'Nothing to show.'));
    return svg;
  }
  const yhi = niceTop(0, Math.max(o.yMax ?? 0, ...bars.map((b) => b.value), 1));
  const y = yAxis(svg, box, 0, yhi, fmtY, o.yLabel);
  svg.append(s('line', { class: 'chart-axis', x1: box.x, x2: box.x + box.w,
    y1: box.y + box.h, y2: box.y + box.h }));
  const slot = box.w / bars.length, bw = Math.max(4, Math.min(48, slot * 0.6));
  bars.forEach((b, i) => {
    const cx = box.x + slot * i + slot / 2;
    const top = y(Math.max(0, b.value));
    svg.append(s('rect', { class: 'chart-bar chart-s' + (o.oneColour ? 0 : i % 6),
      x: cx - bw / 2, y: top, width: bw, height: box.y + box.h - top, 'data-label': b.label },
    s('title', {}, `${b.label}: ${fmtY(b.value)}`)),
    s('text', { class: 'chart-value', x: cx, y: top - 3, 'text-anchor': 'middle' }, fmtY(b.value)),
    s('text', { class: 'chart-tick', x: cx, y: box.y + box.h + 16, 'text-anchor': 'middle' },
      fit(String(b.label), Math.max(3, Math.floor(slot / 6.5)))));
  });
  return svg;
}

// A sentence of the latest values, for a chart's <desc>.
export function latest(series, fmt) {
  fmt = fmt || fmtNum;
  return series.map((se) => {
    const p = se.points[se.points.length - 1];
    return `${se.name}: ${p ? fmt(p[1]) : 'no sample'}`;
  }).join('; ');
}
