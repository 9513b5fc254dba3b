// Drawing helpers every view shares: DOM and SVG nodes, number formats, scales, ticks, frames, axes and colour maps.

const SVGNS = "http://www.w3.org/2000/svg";
export const COLORS = {COMPLETE: "#1f77b4", PRUNED: "#ff7f0e", FAIL: "#d62728", RUNNING: "#9aa4ad"};
export const W = 560, H = 300;            // every chart's viewBox
// Past these, a chart merges its marks into one path per colour (the
// timeline per worker and state): an SVG element (and its tooltip) per
// fold task, point or line made the first draw of a 2,000-trial study take
// a second in Chromium, and of 20,000 trials many.
export const MAX_SPAN_ELEMENTS = 1000, MAX_POINT_ELEMENTS = 2000, MAX_LINE_ELEMENTS = 1500;

// -- DOM helpers ---------------------------------------------------------------
export function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
export function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
export function tooltip(node, text) { node.appendChild(svg("title", {}, text)); return node; }
export function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
export function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return Number(v.toPrecision(4)).toExponential();
  return String(Math.round(v * 1e4) / 1e4);
}

// -- scales and axes -----------------------------------------------------------
export function scale(d0, d1, r0, r1, {log = false, integer = false} = {}) {
  const f = log ? Math.log10 : (x) => x;
  const a = f(d0), b = f(d1);
  // one value (a span of 0) sits in the middle rather than on an edge
  const s = b > a ? (x) => r0 + (f(x) - a) / (b - a) * (r1 - r0) : () => (r0 + r1) / 2;
  s.ticks = (n = 5) => {
    const ticks = log ? logTicks(d0, d1) : niceTicks(d0, d1, n);
    return integer ? ticks.filter(Number.isInteger) : ticks;
  };
  return s;
}
export function niceTicks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.round(t / step) * step);
  }
  return ticks;
}
export function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) ticks.push(10 ** e);
  return ticks.length >= 2 ? ticks : [lo, hi];
}
// The data's own limits, never padded: a padded accuracy axis read 1.0087,
// a value no trial can have. The plot's margins keep the marks off its edge.
export function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo === Infinity ? [0, 1] : [lo, hi];
}
// The left margin that fits the widest tick label and the rotated y label.
// (A scale may bring its own tick labels as .label: a parameter's axis.)
export function leftMargin(ys) {
  const label = ys.label || fmt;
  const widest = Math.max(1, ...ys.ticks().map((t) => label(t).length));
  return Math.round(26 + 6.6 * widest);
}
export function frame(xs, ys, m) {
  const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, role: "img"});
  const grid = svg("g", {class: "grid"}), axis = svg("g", {class: "axis"});
  const xlabel = xs.label || fmt, ylabel = ys.label || fmt;
  for (const t of ys.ticks()) {
    const y = ys(t);
    grid.appendChild(svg("line", {x1: m.l, x2: W - m.r, y1: y, y2: y}));
    const g = svg("g", {class: "tick"});
    g.appendChild(svg("text", {x: m.l - 5, y: y + 3.5, "text-anchor": "end"}, ylabel(t)));
    axis.appendChild(g);
  }
  for (const t of xs.ticks()) {
    const g = svg("g", {class: "tick"});
    g.appendChild(svg("text", {x: xs(t), y: H - m.b + 14, "text-anchor": "middle"}, xlabel(t)));
    axis.appendChild(g);
  }
  axis.appendChild(svg("line", {x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b}));
  axis.appendChild(svg("line", {x1: m.l, x2: m.l, y1: m.t, y2: H - m.b}));
  root.append(grid, axis);
  return root;
}
export function axisLabels(root, m, xLabel, yLabel) {
  root.appendChild(svg("text", {x: (m.l + W - m.r) / 2, y: H - 4, "text-anchor": "middle"}, xLabel));
  // inside the viewBox (x = 12 is the text's middle line), and cut to the
  // plot's height so that a long metric name is never clipped by the edge
  const mid = (m.t + H - m.b) / 2, room = Math.floor((H - m.t - m.b) / 6.6);
  root.appendChild(tooltip(svg("text", {class: "ylabel", x: 12, y: mid, "text-anchor": "middle",
    "dominant-baseline": "middle", transform: `rotate(-90 12 ${mid})`}, clip(yLabel, room)), yLabel));
}
// Many marks as one path per colour: a dot is a round-capped line of no length.
export function dots(points, color, width = 6) {
  const d = points.map(([x, y]) => `M${x.toFixed(1)},${y.toFixed(1)}h0`).join("");
  return svg("path", {class: "dots", d, stroke: color, "stroke-width": width});
}
export function place(id, node) {
  const chart = document.querySelector(`#${id} .chart`);
  chart.replaceChildren(node);
}
export function empty(id, text) { place(id, html("p", {class: "empty"}, text)); }
export function legend(states) {
  const box = html("div", {class: "legend"});
  const label = {BEST: "best so far", FRONT: "Pareto front", INFEASIBLE: "infeasible", DOMINATED: "dominated"};
  for (const s of states) box.appendChild(html("span", {class: s}, label[s] || s.toLowerCase()));
  return box;
}

export function mix(u) {  // a blue-to-yellow ramp for "bad" to "good"
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, u)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i, c = stops[i].map((v, j) => Math.round(v + f * (stops[i + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
export function finite(values) { return values.filter((v) => v !== null && isFinite(v)); }
export function colorScale(values) {  // viridis-like, low to high, as the plots' colour maps
  const [lo, hi] = extent(finite(values));
  const u = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  return {lo, hi, of: (v) => mix(u(v)), bin: (v) => Math.min(9, Math.floor(u(v) * 10))};
}
// A horizontal colour bar under a chart: the colour's label, its range and ticks.
export function colorBar(label, colors) {
  const id = `cb-${Math.random().toString(36).slice(2)}`, h = 46, m = {l: 120, r: 40};
  const root = svg("svg", {viewBox: `0 0 ${W} ${h}`, role: "img", class: "colorbar"});
  const gradient = svg("linearGradient", {id});
  for (let k = 0; k <= 10; k++) gradient.appendChild(svg("stop", {offset: `${k * 10}%`, "stop-color": mix(k / 10)}));
  const defs = svg("defs");
  defs.appendChild(gradient);
  root.appendChild(defs);
  root.appendChild(tooltip(svg("text", {x: m.l - 8, y: 16, "text-anchor": "end"}, clip(label, 18)), label));
  root.appendChild(svg("rect", {x: m.l, y: 6, width: W - m.l - m.r, height: 12, fill: `url(#${id})`}));
  const xs = scale(colors.lo, colors.hi, m.l, W - m.r);
  const axis = svg("g", {class: "axis"});
  for (const t of xs.ticks(6)) {
    const g = svg("g", {class: "tick"});
    g.appendChild(svg("line", {x1: xs(t), x2: xs(t), y1: 18, y2: 22}));
    g.appendChild(svg("text", {x: xs(t), y: 34, "text-anchor": "middle"}, fmt(t)));
    axis.appendChild(g);
  }
  root.appendChild(axis);
  return root;
}
export function swatch(label, color) {
  const span = html("span", {class: "swatch"}, label);
  span.style.setProperty("--swatch", color);  // the CSSOM: the policy forbids style attributes
  return span;
}
export function fmtSig(v) {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? Number(v.toPrecision(4)).toExponential()
    : String(Number(v.toPrecision(4)));
}
