// The charts drawn from the trials: history, importances, parallel coordinates, intermediate values, timeline, Pareto front.

import {
  COLORS, H, MAX_LINE_ELEMENTS, MAX_POINT_ELEMENTS, MAX_SPAN_ELEMENTS, W, axisLabels, clip, dots,
  empty, extent, finite, fmt, fmtSig, frame, html, leftMargin, legend, logTicks, mix, niceTicks,
  place, scale, svg, swatch, tooltip
} from "./svg.js";
import {app, better, internal, multi, names, paramText, studyColor, valueName} from "./state.js";

// The best so far as a step line: it holds level until a trial beats it.
function bestPath(complete, xs, ys, lastNumber) {
  let best = null, d = "";
  for (const t of complete) {
    if (best !== null && !better(t.value, best)) continue;
    const x = xs(t.number).toFixed(1), y = ys(t.value).toFixed(1);
    d += best === null ? `M${x},${y}` : `H${x}V${y}`;
    best = t.value;
  }
  return best === null ? "" : d + `H${xs(lastNumber).toFixed(1)}`;
}

function historyPoints(shown, xs, ys) {
  const g = svg("g");
  if (shown.length > MAX_POINT_ELEMENTS) {
    for (const state of ["COMPLETE", "PRUNED"]) {
      const mine = shown.filter((t) => t.state === state).map((t) => [xs(t.number), ys(t.value)]);
      if (mine.length) g.appendChild(tooltip(dots(mine, COLORS[state], 5), `${mine.length} ${state.toLowerCase()} trials`));
    }
    return g;
  }
  for (const t of shown) {
    g.appendChild(tooltip(svg("circle", {
      class: `point ${t.state}`, cx: xs(t.number).toFixed(1), cy: ys(t.value).toFixed(1),
      r: 3.2, fill: COLORS[t.state]}), `trial ${t.number} (${t.state.toLowerCase()}): ${fmt(t.value)}`));
  }
  return g;
}

// The best-so-far lines of the studies compared with this one, as
// plot_optimization_history computes them (the API's /history).
function compared() {
  return [...app.compare].map((id) => [id, app.compareLines.get(id)])
    .filter(([, line]) => line && !line.error && line.best.length);
}
function comparePath(line, xs, ys) {
  return line.best_numbers.map((n, i) => `${i ? "H" : "M"}${xs(n).toFixed(1)}${i ? "V" : ","}${ys(line.best[i]).toFixed(1)}`).join("");
}
export function drawHistory(trials) {
  const shown = trials.filter((t) => t.value !== null && t.state !== "RUNNING");
  if (!shown.length) return empty("history", "No finished trial with a value yet.");
  const lines = compared();
  const [lo, hi] = extent([...shown.map((t) => t.value), ...lines.flatMap(([, l]) => finite(l.best))]);
  const m = {l: 56, r: 12, t: 10, b: 34};
  const ys = scale(lo, hi, H - m.b, m.t);
  m.l = leftMargin(ys);
  const last = trials[trials.length - 1].number;
  const xs = scale(0, Math.max(1, last, ...lines.map(([, l]) => l.best_numbers[l.best_numbers.length - 1])),
                   m.l, W - m.r, {integer: true});
  const root = frame(xs, ys, m);
  axisLabels(root, m, "trial", valueName());
  const d = bestPath(shown.filter((t) => t.state === "COMPLETE"), xs, ys, last);
  if (d) root.appendChild(svg("path", {class: "best", d}));
  root.appendChild(historyPoints(shown, xs, ys));
  for (const [id, line] of lines) {
    root.appendChild(tooltip(svg("path", {class: "compare", d: comparePath(line, xs, ys), stroke: studyColor(id)}),
                             `${line.name}: best so far`));
  }
  const box = html("div");
  const key = legend(["COMPLETE", "PRUNED", "BEST"]);
  if (lines.length) {  // which line is which study
    key.lastChild.textContent = `best so far: ${app.summary.name}`;
    for (const [id, line] of lines) key.appendChild(swatch(line.name, studyColor(id)));
  }
  box.append(root, key);
  place("history", box);
}

export function drawImportances() {
  const data = app.importances;
  if (!data) return empty("importances", "Computing…");
  if (data.error) return empty("importances", data.error);
  const rows = data.importances.slice(0, 12);
  const m = {l: 150, r: 48, t: 8, b: 8}, bar = Math.min(26, (H - m.t - m.b) / rows.length);
  const height = m.t + m.b + bar * rows.length;
  const root = svg("svg", {viewBox: `0 0 ${W} ${height}`, role: "img"});
  const xs = scale(0, Math.max(...rows.map((r) => r[1]), 1e-9), m.l, W - m.r);
  rows.forEach(([name, share], i) => {
    const y = m.t + i * bar;
    root.appendChild(svg("text", {x: m.l - 6, y: y + bar * 0.62, "text-anchor": "end"}, clip(name, 24)));
    root.appendChild(tooltip(svg("rect", {class: "bar", x: m.l, y: y + bar * 0.15,
      width: Math.max(0.5, xs(share) - m.l), height: bar * 0.7, fill: "#1f77b4"}), `${name}: ${fmt(share)}`));
    root.appendChild(svg("text", {x: xs(share) + 4, y: y + bar * 0.62}, `${(share * 100).toFixed(1)}%`));
  });
  const box = html("div");
  box.append(root, html("p", {class: "note"}, `over ${data.n_trials} complete trials`));
  place("importances", box);
}

function axisPosition(axis, internal) {
  if (internal === null || internal === undefined || !axis) return null;
  if (axis.type === "categorical") {
    const k = axis.labels.length;
    return k > 1 ? internal / (k - 1) : 0.5;
  }
  if (axis.log && axis.low > 0) {
    const a = Math.log10(axis.low), b = Math.log10(axis.high);
    return b > a ? (Math.log10(internal) - a) / (b - a) : 0.5;
  }
  return axis.high > axis.low ? (internal - axis.low) / (axis.high - axis.low) : 0.5;
}

// Ticks of a parameter's axis as [position in [0, 1], label]: its choices,
// or round values in between its limits (not only the two ends).
function paramTicks(axis) {
  if (axis.type === "categorical") {
    const ticks = axis.labels.map((l, k) => [axisPosition(axis, k), l]);
    return ticks.length > 8 ? [ticks[0], ticks[ticks.length - 1]] : ticks;
  }
  if (axis.type === "quantile") return [[0, "0"], [1, "1"]];
  const log = axis.log && axis.low > 0;
  let ticks = log ? logTicks(axis.low, axis.high) : niceTicks(axis.low, axis.high, 4);
  if (axis.type === "int") ticks = ticks.filter(Number.isInteger);
  return ticks.map((t) => [axisPosition(axis, t), fmtSig(t)]);
}
function valueTicks(lo, hi) {
  const pos = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  return niceTicks(lo, hi, 5).map((t) => [pos(t), fmt(t)]);
}
function parallelColumns() {
  let names = Object.keys(app.axes);
  if (app.importances && app.importances.params) {
    const rank = new Map(app.importances.params.map((n, i) => [n, i]));
    names.sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a.localeCompare(b));
  } else {
    names.sort();
  }
  return names.slice(0, 10);
}
function parallelLines(order, columns, x, y, vpos, goodness, top) {
  const g = svg("g");
  const line = (t) => {
    let d = "", pen = false;
    columns.forEach((name, i) => {
      const u = i === columns.length - 1 ? vpos(t.value) : axisPosition(app.axes[name], internal(t.params[name]));
      if (u === null || !isFinite(u)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(u).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  if (order.length > MAX_LINE_ELEMENTS) {  // one path per tenth of the colour scale
    const bins = new Map();
    for (const t of order) {
      const k = Math.min(9, Math.floor(goodness(t.value) * 10));
      bins.set(k, (bins.get(k) || "") + line(t));
    }
    for (const [k, d] of [...bins].sort((a, b) => a[0] - b[0])) {
      g.appendChild(svg("path", {class: k === 9 ? "pc top" : "pc", d, stroke: mix((k + 0.5) / 10)}));
    }
    return g;
  }
  const params = columns.slice(0, -1);
  for (const t of order) {
    const label = params.filter((n) => n in t.params).map((n) => `${n}=${paramText(t.params[n])}`).join(", ");
    g.appendChild(tooltip(svg("path", {class: top.has(t.number) ? "pc top" : "pc", d: line(t),
      stroke: mix(goodness(t.value))}), `trial ${t.number}: ${fmt(t.value)}\n${label}`));
  }
  return g;
}
export function drawParallel(trials) {
  const complete = trials.filter((t) => t.state === "COMPLETE" && t.value !== null);
  const names = parallelColumns();
  if (complete.length < 1 || !names.length) return empty("parallel", "No complete trial yet.");
  const m = {l: 64, r: 70, t: 36, b: 24}, width = 1100;
  const root = svg("svg", {viewBox: `0 0 ${width} ${H}`, role: "img"});
  const columns = [...names, valueName()];
  const x = (i) => m.l + i * (width - m.l - m.r) / (columns.length - 1 || 1);
  const [vlo, vhi] = extent(complete.map((t) => t.value));
  const vpos = (v) => (vhi > vlo ? (v - vlo) / (vhi - vlo) : 0.5);
  const y = (u) => H - m.b - u * (H - m.t - m.b);
  const goodness = (v) => (app.summary.direction === "maximize" ? vpos(v) : 1 - vpos(v));
  const order = [...complete].sort((a, b) => goodness(a.value) - goodness(b.value));
  const top = new Set(order.slice(-Math.max(1, Math.ceil(order.length * 0.1))).map((t) => t.number));
  root.appendChild(parallelLines(order, columns, x, y, vpos, goodness, top));
  columns.forEach((name, i) => {
    const g = svg("g", {class: i === columns.length - 1 ? "axis value-axis" : "axis"});
    g.appendChild(svg("line", {x1: x(i), x2: x(i), y1: m.t, y2: H - m.b}));
    g.appendChild(tooltip(svg("text", {x: x(i), y: m.t - 20, "text-anchor": "middle"}, clip(name, 18)), name));
    const ticks = i === columns.length - 1 ? valueTicks(vlo, vhi) : paramTicks(app.axes[name]);
    for (const [u, text] of ticks) {
      const t = svg("g", {class: "tick"});
      t.appendChild(svg("line", {x1: x(i) - 3, x2: x(i), y1: y(u), y2: y(u)}));
      t.appendChild(tooltip(svg("text", {x: x(i) + 4, y: y(u) + 3.5}, clip(String(text), 16)), String(text)));
      g.appendChild(t);
    }
    root.appendChild(g);
  });
  place("parallel", root);
}

export function drawIntermediate(trials) {
  const traced = trials.filter((t) => t.intermediate.some(([, v]) => v !== null));
  if (!traced.length) return empty("intermediate", "No intermediate value reported yet.");
  let s0 = Infinity, s1 = -Infinity;
  for (const t of traced) for (const [s] of t.intermediate) { s0 = Math.min(s0, s); s1 = Math.max(s1, s); }
  const values = traced.flatMap((t) => t.intermediate.map(([, v]) => v).filter((v) => v !== null));
  const m = {l: 56, r: 12, t: 10, b: 34};
  const [lo, hi] = extent(values);
  const ys = scale(lo, hi, H - m.b, m.t);
  m.l = leftMargin(ys);
  const xs = scale(s0, Math.max(s1, s0 + 1), m.l, W - m.r, {integer: true});
  const root = frame(xs, ys, m);
  axisLabels(root, m, "step", "intermediate value");
  const trace = (points) => points.map(([s, v], i) => `${i ? "L" : "M"}${xs(s).toFixed(1)},${ys(v).toFixed(1)}`).join("");
  const g = svg("g"), merged = traced.length > MAX_LINE_ELEMENTS ? new Map() : null;
  for (const t of traced) {
    const points = t.intermediate.filter(([, v]) => v !== null);
    const color = COLORS[t.state];
    if (merged) { merged.set(t.state, (merged.get(t.state) || "") + trace(points)); continue; }
    g.appendChild(tooltip(svg("path", {class: "trace", d: trace(points), stroke: color}), `trial ${t.number} (${t.state.toLowerCase()})`));
    if (points.length === 1) {  // a path of one point draws nothing: a dot instead
      const [[s, v]] = points;
      g.appendChild(svg("circle", {cx: xs(s).toFixed(1), cy: ys(v).toFixed(1), r: 2.2, fill: color}));
    }
  }
  for (const [state, d] of merged || []) g.appendChild(svg("path", {class: "trace", d, stroke: COLORS[state]}));
  root.appendChild(g);
  const box = html("div");
  box.append(root, legend(["COMPLETE", "PRUNED", "FAIL", "RUNNING"]));
  place("intermediate", box);
}

export function drawTimeline(trials) {
  const spans = [];  // [lane, start, end, trial, label]
  for (const t of trials) {
    for (const [fold, runs] of t.folds) for (const [w, s, e] of runs) spans.push([w, s, e, t, `fold ${fold}`]);
  }
  let laneTitle = "worker";
  if (!spans.length) {  // a plain Study records no spans: its trials, packed into lanes
    laneTitle = "lane";
    const ends = [], now = Date.now() / 1000;
    for (const t of trials.filter((t) => t.start !== null).sort((a, b) => a.start - b.start)) {
      const end = t.end ?? now;
      let lane = ends.findIndex((e) => e <= t.start);
      if (lane < 0) { lane = ends.length; ends.push(end); } else ends[lane] = end;
      spans.push([`lane ${lane + 1}`, t.start, end, t, "trial"]);
    }
  }
  if (!spans.length) return empty("timeline", "No trial has started yet.");
  const lanes = [...new Set(spans.map((s) => s[0]))].sort();
  const t0 = Math.min(...spans.map((s) => s[1])), t1 = Math.max(...spans.map((s) => s[2]));
  const m = {l: 130, r: 12, t: 6, b: 34};
  const band = Math.min(40, (H - m.t - m.b) / lanes.length);
  const height = m.t + m.b + band * lanes.length;
  const root = svg("svg", {viewBox: `0 0 ${W} ${height}`, role: "img"});
  const xs = scale(0, Math.max(t1 - t0, 1e-3), m.l, W - m.r);
  const axis = svg("g", {class: "axis"});
  axis.appendChild(svg("line", {x1: m.l, x2: W - m.r, y1: height - m.b, y2: height - m.b}));
  for (const t of xs.ticks()) {
    const g = svg("g", {class: "tick"});
    g.appendChild(svg("text", {x: xs(t), y: height - m.b + 14, "text-anchor": "middle"}, fmt(t)));
    axis.appendChild(g);
  }
  root.appendChild(axis);
  root.appendChild(svg("text", {x: (m.l + W - m.r) / 2, y: height - 4, "text-anchor": "middle"},
                       "seconds since the first task"));
  lanes.forEach((lane, i) => {
    root.appendChild(tooltip(svg("text", {x: m.l - 6, y: m.t + i * band + band * 0.62, "text-anchor": "end"},
                                 clip(lane, 22)), `${laneTitle} ${lane}`));
  });
  const index = new Map(lanes.map((l, i) => [l, i]));
  const g = svg("g");
  const bar = (lane, s, e) => [xs(s - t0), m.t + index.get(lane) * band + band * 0.12,
                               Math.max(0.8, xs(e - t0) - xs(s - t0)), band * 0.76];
  if (spans.length <= MAX_SPAN_ELEMENTS) {
    for (const [lane, s, e, t, what] of spans) {
      const [x, y, w, h] = bar(lane, s, e);
      g.appendChild(tooltip(svg("rect", {class: "span", x: x.toFixed(1), y: y.toFixed(1),
        width: w.toFixed(1), height: h.toFixed(1), fill: COLORS[t.state]}),
        `trial ${t.number} ${what} (${t.state.toLowerCase()}): ${fmt(e - s)} s on ${lane}`));
    }
  } else {
    const paths = new Map();  // "lane|state" -> path data of its bars
    for (const [lane, s, e, t] of spans) {
      const [x, y, w, h] = bar(lane, s, e), key = `${lane}|${t.state}`;
      paths.set(key, (paths.get(key) || "") + `M${x.toFixed(1)},${y.toFixed(1)}h${w.toFixed(1)}v${h.toFixed(1)}h${(-w).toFixed(1)}z`);
    }
    for (const [key, d] of paths) {
      const [lane, state] = [key.slice(0, key.lastIndexOf("|")), key.slice(key.lastIndexOf("|") + 1)];
      g.appendChild(tooltip(svg("path", {class: "spans", d, fill: COLORS[state]}),
                            `${lane}: ${state.toLowerCase()} tasks`));
    }
  }
  root.appendChild(g);
  const box = html("div");
  box.append(root, legend(["COMPLETE", "PRUNED", "FAIL", "RUNNING"]));
  place("timeline", box);
}

// -- the Pareto front of two objectives (the API computes it as plot_pareto_front)
function paretoMarks(points, xs, ys) {
  const g = svg("g");
  const groups = [["DOMINATED", (p) => p[2] && !p[3], COLORS.COMPLETE], ["INFEASIBLE", (p) => !p[2], "#9aa4ad"],
                  ["FRONT", (p) => p[3], "#d62728"]];
  for (const [name, keep, color] of groups) {
    const mine = points.filter(keep);
    if (!mine.length) continue;
    if (mine.length > MAX_POINT_ELEMENTS) { g.appendChild(dots(mine.map((p) => [xs(p[1][0]), ys(p[1][1])]), color, 5)); continue; }
    for (const [n, v] of mine) {
      g.appendChild(tooltip(svg("circle", {class: `point ${name.toLowerCase()}`, cx: xs(v[0]).toFixed(1),
        cy: ys(v[1]).toFixed(1), r: name === "FRONT" ? 4 : 3, fill: color}),
        `trial ${n}: ${names()[0]} ${fmt(v[0])}, ${names()[1]} ${fmt(v[1])}`));
    }
  }
  return g;
}
export function drawPareto() {
  const data = app.pareto;
  const panel = document.getElementById("pareto");
  panel.hidden = !multi();
  if (!multi()) return;
  if (!data) return empty("pareto", "Computing…");
  if (data.error) return empty("pareto", data.error);
  const points = data.points.filter((p) => p[1][0] !== null && p[1][1] !== null);
  if (!points.length) return empty("pareto", "No complete trial yet.");
  const m = {l: 56, r: 12, t: 10, b: 34};
  const [ylo, yhi] = extent(points.map((p) => p[1][1]));
  const ys = scale(ylo, yhi, H - m.b, m.t);
  m.l = leftMargin(ys);
  const [xlo, xhi] = extent(points.map((p) => p[1][0]));
  const xs = scale(xlo, xhi, m.l, W - m.r);
  const root = frame(xs, ys, m);
  axisLabels(root, m, `${data.names[0]} (${data.directions[0]})`, `${data.names[1]} (${data.directions[1]})`);
  const front = points.filter((p) => p[3]).sort((a, b) => a[1][0] - b[1][0]);
  if (front.length > 1) {  // as plot_pareto_front: a step line through the front
    const pre = data.directions[1] !== "minimize";
    const d = front.map((p, i) => {
      const x = xs(p[1][0]).toFixed(1), y = ys(p[1][1]).toFixed(1);
      return i === 0 ? `M${x},${y}` : pre ? `V${y}H${x}` : `H${x}V${y}`;
    }).join("");
    root.appendChild(svg("path", {class: "front-line", d}));
  }
  root.appendChild(paretoMarks(points, xs, ys));
  const box = html("div");
  const note = data.names.length > 2 ? ` · the first two of ${data.names.length} objectives` : "";
  box.append(root, legend(["FRONT", "DOMINATED", "INFEASIBLE"]), html("p", {class: "note"}, data.title + note));
  place("pareto", box);
}
