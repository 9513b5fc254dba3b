// sksearch dashboard: polls the JSON API and draws every view as SVG.
// Every string that comes from a study (names, parameter values, reprs) enters
// the page through textContent only, never as markup.
"use strict";

(() => {
  const SVGNS = "http://www.w3.org/2000/svg";
  const POLL_MS = 1000;
  const STUDIES_EVERY = 5;           // polls between two reads of the study list
  const IMPORTANCE_MS = 5000;        // the server refits at most this often
  const FIGURE_MS = 2000;            // a live study's slice, contour, rank, EDF: at most this often
  const COLORS = {COMPLETE: "#1f77b4", PRUNED: "#ff7f0e", FAIL: "#d62728", RUNNING: "#9aa4ad"};
  const W = 560, H = 300;            // every chart's viewBox
  // Past these, a chart merges its marks into one path per colour (the
  // timeline per worker and state): an SVG element (and its tooltip) per
  // fold task, point or line made the first draw of a 2,000-trial study take
  // a second in Chromium, and of 20,000 trials many.
  const MAX_SPAN_ELEMENTS = 1000, MAX_POINT_ELEMENTS = 2000, MAX_LINE_ELEMENTS = 1500;
  // The table draws the rows in view and this many more on each side, so a
  // study of 20,000 trials costs the page some 60 rows, not 20,000.
  const OVERSCAN = 15;
  const STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING"];

  const app = {
    studies: [], studyId: null, summary: null, trials: new Map(), running: new Set(),
    next: 0, axes: {}, sort: {key: "number", desc: false}, importances: null,
    importancesAt: 0, polls: 0, lastSignature: "", objective: 0, pareto: null, paretoAt: 0,
    filter: {states: new Set(STATES), text: "", ranges: {}}, rows: [], rowHeight: 23,
    detail: null, sideBusy: false,
    // the analysis view shown, its data, and the studies compared with this one
    view: "slice", contour: {x: null, y: null}, figure: null, figureAt: 0, figureStale: true,
    compare: new Set(), compareLines: new Map(), edfs: new Map(), figureBusy: false,
  };

  // -- DOM helpers ---------------------------------------------------------------
  function html(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function tooltip(node, text) { node.appendChild(svg("title", {}, text)); return node; }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  function fmt(v) {
    if (v === null || v === undefined) return "–";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return Number(v.toPrecision(4)).toExponential();
    return String(Math.round(v * 1e4) / 1e4);
  }
  function setStatus(text, error = false) {
    const node = document.getElementById("status");
    node.textContent = text;
    node.classList.toggle("error", error);
  }
  async function getJSON(url) {
    const response = await fetch(url, {cache: "no-store"});
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || String(response.status));
    return body;
  }

  // -- scales and axes -----------------------------------------------------------
  function scale(d0, d1, r0, r1, {log = false, integer = false} = {}) {
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
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.round(t / step) * step);
    }
    return ticks;
  }
  function logTicks(lo, hi) {
    const ticks = [];
    for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) ticks.push(10 ** e);
    return ticks.length >= 2 ? ticks : [lo, hi];
  }
  // The data's own limits, never padded: a padded accuracy axis read 1.0087,
  // a value no trial can have. The plot's margins keep the marks off its edge.
  function extent(values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return lo === Infinity ? [0, 1] : [lo, hi];
  }
  // The left margin that fits the widest tick label and the rotated y label.
  // (A scale may bring its own tick labels as .label: a parameter's axis.)
  function leftMargin(ys) {
    const label = ys.label || fmt;
    const widest = Math.max(1, ...ys.ticks().map((t) => label(t).length));
    return Math.round(26 + 6.6 * widest);
  }
  function frame(xs, ys, m) {
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
  function axisLabels(root, m, xLabel, yLabel) {
    root.appendChild(svg("text", {x: (m.l + W - m.r) / 2, y: H - 4, "text-anchor": "middle"}, xLabel));
    // inside the viewBox (x = 12 is the text's middle line), and cut to the
    // plot's height so that a long metric name is never clipped by the edge
    const mid = (m.t + H - m.b) / 2, room = Math.floor((H - m.t - m.b) / 6.6);
    root.appendChild(tooltip(svg("text", {class: "ylabel", x: 12, y: mid, "text-anchor": "middle",
      "dominant-baseline": "middle", transform: `rotate(-90 12 ${mid})`}, clip(yLabel, room)), yLabel));
  }
  // Many marks as one path per colour: a dot is a round-capped line of no length.
  function dots(points, color, width = 6) {
    const d = points.map(([x, y]) => `M${x.toFixed(1)},${y.toFixed(1)}h0`).join("");
    return svg("path", {class: "dots", d, stroke: color, "stroke-width": width});
  }
  function place(id, node) {
    const chart = document.querySelector(`#${id} .chart`);
    chart.replaceChildren(node);
  }
  function empty(id, text) { place(id, html("p", {class: "empty"}, text)); }
  function legend(states) {
    const box = html("div", {class: "legend"});
    const label = {BEST: "best so far", FRONT: "Pareto front", INFEASIBLE: "infeasible", DOMINATED: "dominated"};
    for (const s of states) box.appendChild(html("span", {class: s}, label[s] || s.toLowerCase()));
    return box;
  }

  // -- views ---------------------------------------------------------------------
  // a study of several objectives draws the one chosen (?objective=k of the
  // API), named by its metric when the search stored the names
  function names() { return app.summary.objective_names || app.summary.directions.map((_, k) => `objective ${k}`); }
  function valueName() { return names()[app.objective] || "value"; }
  function multi() { return app.summary.directions.length > 1; }
  function sorted() { return [...app.trials.values()].sort((a, b) => a.number - b.number); }
  function better(a, b) { return app.summary.direction === "maximize" ? a > b : a < b; }

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
  function drawHistory(trials) {
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

  function drawImportances() {
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

  function mix(u) {  // a blue-to-yellow ramp for "bad" to "good"
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const x = Math.min(1, Math.max(0, u)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x));
    const f = x - i, c = stops[i].map((v, j) => Math.round(v + f * (stops[i + 1][j] - v)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
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
  function drawParallel(trials) {
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

  function drawIntermediate(trials) {
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

  function drawTimeline(trials) {
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

  // -- the trials table: filtered, sorted, and only the rows in view drawn ------
  function tableColumns() {
    const params = Object.keys(app.axes).sort();
    const values = multi() ? names().map((n, k) => [`v:${k}`, n]) : [["value", valueName()]];
    return [["number", "#"], ["state", "state"], ...values, ["duration", "duration (s)"],
            ...params.map((n) => [`p:${n}`, n])];
  }
  function duration(t) { return t.end !== null && t.start !== null ? t.end - t.start : null; }
  function cellValue(t, key) {
    if (key === "duration") return duration(t);
    if (key.startsWith("p:")) return internal(t.params[key.slice(2)]);
    if (key.startsWith("v:")) return t.values ? t.values[Number(key.slice(2))] : null;
    return t[key];
  }
  // What the search box matches, built once per finished trial (they never change).
  const searchText = new WeakMap();
  function textOf(t) {
    let text = searchText.get(t);
    if (text === undefined) {
      const params = Object.entries(t.params).map(([n, p]) => `${n}=${paramText(p)}`).join(" ");
      text = `#${t.number} ${t.state} ${params} ${t.fail_reason || ""}`.toLowerCase();
      searchText.set(t, text);
    }
    return text;
  }
  function passes(t, f, ranges) {
    if (!f.states.has(t.state)) return false;
    if (f.text && !textOf(t).includes(f.text)) return false;
    for (const [name, lo, hi] of ranges) {
      const v = internal(t.params[name]);
      if (v === null || v < lo || v > hi) return false;
    }
    return true;
  }
  function compareBy(key, desc) {
    return (a, b) => {
      const va = cellValue(a, key), vb = cellValue(b, key);
      if (va === vb) return a.number - b.number;
      if (va === null || va === undefined) return 1;   // missing values last, either way
      if (vb === null || vb === undefined) return -1;
      const c = va < vb ? -1 : 1;
      return desc ? -c : c;
    };
  }
  // Filter and sort every trial (what a filter box or a header click does),
  // then draw the rows in view; the time it took is read by the benchmark.
  function updateRows(toTop = false) {
    const began = performance.now();
    // a new filter or order starts at its first row; a live update stays put
    if (toTop) document.querySelector("#trials .table-wrap").scrollTop = 0;
    const f = app.filter;
    const ranges = Object.entries(f.ranges).map(([n, [lo, hi]]) => [n, lo ?? -Infinity, hi ?? Infinity]);
    const all = [...app.trials.values()];
    app.rows = all.filter((t) => passes(t, f, ranges)).sort(compareBy(app.sort.key, app.sort.desc));
    drawHead();
    renderRows();
    const section = document.getElementById("trials");
    section.dataset.rows = String(app.rows.length);
    section.dataset.filterMs = String(Math.round(performance.now() - began));
    document.getElementById("trial-count").textContent = app.rows.length === all.length
      ? `${all.length} trials` : `${app.rows.length} of ${all.length} trials shown`;
  }
  function drawHead() {
    const head = document.querySelector("#trials thead tr");
    const signature = JSON.stringify([tableColumns(), app.sort]);
    if (head.dataset.signature === signature) return;
    head.dataset.signature = signature;
    head.replaceChildren(...tableColumns().map(([key, label]) => {
      const text = key === "state" || key.startsWith("p:");
      const th = html("th", {"data-key": key, class: text ? "text" : "", title: `sort by ${label}`}, label);
      if (app.sort.key === key) th.classList.add("sorted");
      if (app.sort.key === key && app.sort.desc) th.classList.add("desc");
      return th;
    }));
  }
  function row(t, columns) {
    const tr = html("tr", {class: t.state, "data-number": String(t.number)});
    if (app.detail === t.number) tr.classList.add("selected");
    for (const [key] of columns) {
      const v = cellValue(t, key);
      let td;
      if (key === "state") td = html("td", {class: "state text"}, t.state.toLowerCase());
      else if (key === "number") td = html("td", {}, String(t.number));
      else if (key === "duration") td = html("td", {}, v === null ? "–" : v.toFixed(2));
      else if (key.startsWith("p:")) {
        const p = t.params[key.slice(2)];
        td = html("td", {class: "text"}, p === undefined ? "" : paramText(p, true));
        if (p !== undefined) td.title = paramText(p);
      } else td = html("td", {}, fmt(v));
      tr.appendChild(td);
    }
    if (t.fail_reason) tr.title = t.fail_reason;
    return tr;
  }
  function spacer(height, span) {
    const tr = html("tr", {class: "spacer", "aria-hidden": "true"});
    const td = html("td", {colspan: String(span)});
    td.style.height = `${height}px`;  // through the CSSOM: the policy forbids style attributes
    tr.appendChild(td);
    return tr;
  }
  function renderRows() {
    const wrap = document.querySelector("#trials .table-wrap");
    const columns = tableColumns(), h = app.rowHeight;
    const first = Math.max(0, Math.floor(wrap.scrollTop / h) - OVERSCAN);
    const last = Math.min(app.rows.length, Math.ceil((wrap.scrollTop + wrap.clientHeight) / h) + OVERSCAN);
    const body = document.querySelector("#trials tbody");
    body.replaceChildren(spacer(first * h, columns.length),
                         ...app.rows.slice(first, last).map((t) => row(t, columns)),
                         spacer((app.rows.length - last) * h, columns.length));
    const drawn = body.querySelector("tr[data-number]");
    if (drawn) app.rowHeight = drawn.getBoundingClientRect().height || h;  // what the CSS gave
  }
  function drawRanges() {
    const numeric = Object.entries(app.axes).filter(([, a]) => a.type !== "categorical").map(([n]) => n).sort();
    const box = document.getElementById("range-boxes");
    if (box.dataset.names === numeric.join("\u0000")) return;  // keep what the user typed
    box.dataset.names = numeric.join("\u0000");
    const cells = [];
    for (const name of numeric) {
      const [lo, hi] = app.filter.ranges[name] || [null, null];
      cells.push(html("span", {class: "text"}, name));
      for (const [side, v] of [["min", lo], ["max", hi]]) {
        const input = html("input", {type: "number", step: "any", placeholder: side,
                                     "data-param": name, "data-side": side, "aria-label": `${name} ${side}`});
        if (v !== null) input.value = String(v);
        cells.push(input);
      }
    }
    box.replaceChildren(...cells);
  }
  function readRange(input) {
    const name = input.dataset.param, k = input.dataset.side === "min" ? 0 : 1;
    const range = app.filter.ranges[name] || [null, null];
    range[k] = input.value === "" || !isFinite(Number(input.value)) ? null : Number(input.value);
    if (range[0] === null && range[1] === null) delete app.filter.ranges[name];
    else app.filter.ranges[name] = range;
  }

  // -- one trial's detail ------------------------------------------------------
  function section(title, ...nodes) {
    const box = html("section");
    box.append(html("h3", {}, title), ...nodes);
    return box;
  }
  function pairs(rows) {  // a two-column table of [name, text]
    const table = html("table");
    for (const [k, v] of rows) {
      const tr = html("tr");
      tr.append(html("th", {class: "text"}, k), html("td", {class: "text"}, v));
      table.appendChild(tr);
    }
    return table;
  }
  function scoreText(s) {
    if (s === null || s === undefined) return "–";
    if (typeof s === "number") return fmtSig(s);
    return Object.entries(s).map(([k, v]) => `${k}: ${v === null ? "–" : fmtSig(v)}`).join(", ");
  }
  function foldTable(folds) {
    const table = html("table", {class: "folds"});
    const head = html("tr");
    for (const h of ["fold", "test score", "train score", "fit (s)", "score (s)", "test samples"]) head.appendChild(html("th", {}, h));
    table.appendChild(head);
    for (const f of folds) {
      const tr = html("tr");
      for (const v of [String(f.fold), scoreText(f.test_scores), scoreText(f.train_scores),
                       fmt(f.fit_time), fmt(f.score_time), f.n_test_samples === null ? "–" : String(f.n_test_samples)]) {
        tr.appendChild(html("td", {}, v));
      }
      table.appendChild(tr);
      if (f.fit_error) table.appendChild(html("tr")).appendChild(html("td", {colspan: "6"})).appendChild(html("pre", {}, f.fit_error));
    }
    return table;
  }
  function when(seconds) { return seconds === null ? "–" : new Date(seconds * 1000).toLocaleString(); }
  function drawDetail(d) {
    const body = document.getElementById("detail-body");
    const parts = [html("h2", {}, `Trial ${d.number} (${d.state.toLowerCase()})`)];
    if (d.state === "RUNNING") parts.push(html("p", {class: "marker running-now"}, "running now"));
    if (d.interrupted !== null) {
      parts.push(html("p", {class: "marker interrupted"}, `interrupted (sksearch:interrupted): ${d.interrupted}`));
    }
    if (d.values.length) parts.push(section("Values", pairs(d.values.map(([n, v]) => [n, fmtValue(v)]))));
    parts.push(section("Parameters", d.params.length ? pairs(d.params) : html("p", {class: "note"}, "none")));
    parts.push(section("Timings", pairs([["started", when(d.start)], ["finished", when(d.end)],
                                         ["duration (s)", d.duration === null ? "–" : String(d.duration)]])));
    if (d.fail_reason) parts.push(section("Fail reason", html("pre", {class: "fail-reason"}, d.fail_reason)));
    if (d.folds.length) parts.push(section(`Folds (${d.folds.length})`, foldTable(d.folds)));
    if (d.intermediate.length) {
      parts.push(section("Intermediate values", pairs(d.intermediate.map(([s, v]) => [`step ${s}`, fmtValue(v)]))));
    }
    const attrs = Object.entries(d.user_attrs);
    if (attrs.length) parts.push(section("User attributes", pairs(attrs.map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))));
    body.replaceChildren(...parts);
    document.getElementById("detail").hidden = false;
  }
  function fmtValue(v) { return v === null ? "–" : String(v); }
  async function openDetail(number) {
    const id = app.studyId;
    app.detail = number;
    renderRows();
    const d = await getJSON(`api/studies/${id}/trial/${number}`);
    if (id === app.studyId && app.detail === number) drawDetail(d);
  }
  function closeDetail() {
    app.detail = null;
    document.getElementById("detail").hidden = true;
    renderRows();
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
  function drawPareto() {
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

  // -- slice, contour, rank and EDF: drawn from the data sksearch.plot computes
  // (the API answers plot_slice's, plot_contour's, plot_rank's and plot_edf's
  // data as numbers; nothing of them is computed here)
  const VIEWS = ["slice", "contour", "rank", "edf"];
  // a compared study's colour (the study shown is green, as its best-so-far line)
  const PALETTE = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#7f7f7f", "#1f77b4"];
  function studyColor(id) {
    if (id === app.studyId) return "#2ca02c";
    const k = [...app.compare].indexOf(id);
    return PALETTE[(k < 0 ? 0 : k) % PALETTE.length];
  }
  function studyName(id) {
    const s = app.studies.find((s) => s.id === id);
    return s ? s.name : `study ${id}`;
  }
  function finite(values) { return values.filter((v) => v !== null && isFinite(v)); }

  // A scale over a parameter's axis as sksearch.plot describes it: its
  // choices for a categorical one (positions are the choices' indices), the
  // plot's own ticks where it set them (log and integer axes), round ones
  // otherwise.
  function axisScale(axis, values, r0, r1) {
    if (axis.scale === "category") {
      const s = scale(-0.5, axis.ticks.length - 0.5, r0, r1);
      s.ticks = () => axis.ticks;
      // many choices side by side share the axis's width: shorter labels
      const room = Math.max(4, Math.min(14, Math.floor(84 / axis.ticks.length)));
      s.label = (t) => clip(axis.ticklabels[axis.ticks.indexOf(t)] ?? fmt(t), room);
      return s;
    }
    const log = axis.scale === "log";
    const [lo, hi] = extent(finite(values).filter((v) => !log || v > 0));
    const s = scale(lo, hi, r0, r1, {log});
    if (axis.ticks) {
      const labels = new Map(axis.ticks.map((t, i) => [t, axis.ticklabels[i]]));
      const inside = axis.ticks.filter((t) => t >= lo - Math.abs(lo) * 1e-9 && t <= hi + Math.abs(hi) * 1e-9);
      s.ticks = () => (inside.length ? inside : [lo, hi]);
      s.label = (t) => labels.get(t) ?? fmt(t);
    }
    return s;
  }
  function colorScale(values) {  // viridis-like, low to high, as the plots' colour maps
    const [lo, hi] = extent(finite(values));
    const u = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
    return {lo, hi, of: (v) => mix(u(v)), bin: (v) => Math.min(9, Math.floor(u(v) * 10))};
  }
  // A horizontal colour bar under a chart: the colour's label, its range and ticks.
  function colorBar(label, colors) {
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
  // Points coloured by `color`, each with its hover text when there are few,
  // else one path per tenth of the colour scale.
  function colouredPoints(xs, ys, x, y, color, colors, hover, r = 3.2, cls = "point") {
    const g = svg("g");
    const keep = x.map((_, i) => i).filter((i) => x[i] !== null && y[i] !== null);
    if (keep.length > MAX_POINT_ELEMENTS) {
      const bins = new Map();
      for (const i of keep) {
        const k = colors.bin(color[i]);
        if (!bins.has(k)) bins.set(k, []);
        bins.get(k).push([xs(x[i]), ys(y[i])]);
      }
      for (const [k, points] of bins) g.appendChild(dots(points, colors.fixed || mix((k + 0.5) / 10), 5));
      return g;
    }
    for (const i of keep) {
      const dot = svg("circle", {class: cls, cx: xs(x[i]).toFixed(1), cy: ys(y[i]).toFixed(1), r, fill: colors.of(color[i])});
      g.appendChild(hover[i] ? tooltip(dot, hover[i].split("<br>").join("\n")) : dot);
    }
    return g;
  }
  function panelChart(data, panel, ylo, yhi) {
    const m = {l: 56, r: 12, t: 10, b: 34};
    const ys = data.invert_y ? scale(ylo, yhi, m.t, H - m.b, {integer: true}) : scale(ylo, yhi, H - m.b, m.t);
    m.l = leftMargin(ys);
    const xs = axisScale(panel.axis, panel.x, m.l, W - m.r);
    const root = frame(xs, ys, m);
    axisLabels(root, m, panel.axis.label, data.ylabel);
    return [root, xs, ys];
  }
  function drawPanels(data) {  // slice and rank: one chart per parameter
    if (!data.panels.length) return empty("analysis", "No parameter varies between the complete trials yet.");
    const colors = colorScale(data.panels.flatMap((p) => p.color));
    const [ylo, yhi] = extent(finite(data.panels.flatMap((p) => p.y)));
    const grid = html("div", {class: "small-multiples"});
    for (const panel of data.panels) {
      const [root, xs, ys] = panelChart(data, panel, ylo, yhi);
      root.appendChild(colouredPoints(xs, ys, panel.x, panel.y, panel.color, colors, panel.hover));
      grid.appendChild(root);
    }
    const box = html("div");
    box.append(grid, colorBar(data.colorbar, colors), html("p", {class: "note"}, data.title));
    place("analysis", box);
  }
  // The interpolated grid as one path per colour level (the 12 levels of
  // plot_contour), each cell reaching halfway to its neighbours.
  function contourCells(data, xs, ys, colors) {
    const edges = (grid, s) => grid.map((v, i) => {
      const a = s(grid[Math.max(0, i - 1)]), b = s(v), c = s(grid[Math.min(grid.length - 1, i + 1)]);
      return [(a + b) / 2, (b + c) / 2];
    });
    const ex = edges(data.grid_x, xs), ey = edges(data.grid_y, ys);
    const levels = 12, paths = new Map();
    data.surface.forEach((row, r) => row.forEach((v, c) => {
      if (v === null) return;
      const u = colors.hi > colors.lo ? (v - colors.lo) / (colors.hi - colors.lo) : 0.5;
      const k = Math.min(levels - 1, Math.floor(u * levels));
      const [x0, x1] = ex[c], [y0, y1] = ey[r];
      paths.set(k, (paths.get(k) || "") + `M${x0.toFixed(1)},${y1.toFixed(1)}H${x1.toFixed(1)}V${y0.toFixed(1)}H${x0.toFixed(1)}z`);
    }));
    const g = svg("g", {class: "surface"});
    for (const [k, d] of paths) g.appendChild(svg("path", {class: "cells", d, fill: mix((k + 0.5) / levels)}));
    return g;
  }
  function drawContour(data) {
    drawContourPick(data);
    if (data.error) return empty("analysis", data.error);
    const m = {l: 56, r: 12, t: 10, b: 34};
    const ys = axisScale(data.yaxis, data.y, H - m.b, m.t);
    m.l = leftMargin(ys);
    const xs = axisScale(data.xaxis, data.x, m.l, W - m.r);
    const root = frame(xs, ys, m);
    axisLabels(root, m, data.xaxis.label, data.yaxis.label);
    const colors = colorScale(data.surface ? [...data.values, ...data.surface.flat()] : data.values);
    if (data.surface) {
      root.appendChild(contourCells(data, xs, ys, colors));
      const white = data.x.map(() => null);  // the trials on top, as plot_contour draws them
      root.appendChild(colouredPoints(xs, ys, data.x, data.y, white, {of: () => "#fff", bin: () => 0, fixed: "#fff"},
                                      data.hover, 2.6, "point on-surface"));
    } else {
      root.appendChild(colouredPoints(xs, ys, data.x, data.y, data.values, colors, data.hover));
    }
    const box = html("div", {class: "single"});
    box.append(root, colorBar(data.colorbar, colors), html("p", {class: "note"}, data.note ? `${data.title} · ${data.note}` : data.title));
    place("analysis", box);
  }
  function drawContourPick(data) {
    const params = data.params || Object.keys(app.axes).sort();
    for (const [id, chosen] of [["contour-x", data.x_param || app.contour.x], ["contour-y", data.y_param || app.contour.y]]) {
      const select = document.getElementById(id);
      if (select.dataset.names !== params.join("\u0000")) {
        select.dataset.names = params.join("\u0000");
        select.replaceChildren(...params.map((n) => html("option", {value: n}, n)));
      }
      if (chosen) select.value = chosen;
    }
  }
  function drawEdf() {
    const own = app.edfs.get(app.studyId);
    if (own && own.error) return empty("analysis", own.error);
    const curves = [app.studyId, ...app.compare].map((id) => [id, app.edfs.get(id)]).filter(([, c]) => c && !c.error);
    if (!curves.length) return empty("analysis", "Computing…");
    const all = curves.flatMap(([, c]) => finite(c.x));
    if (!all.length) return empty("analysis", "No complete trial yet.");
    const m = {l: 56, r: 12, t: 10, b: 34};
    const ys = scale(0, 1, H - m.b, m.t);
    m.l = leftMargin(ys);
    const [lo, hi] = extent(all);
    const xs = scale(lo, hi, m.l, W - m.r);
    const root = frame(xs, ys, m);
    axisLabels(root, m, curves[0][1].xlabel, "fraction of trials ≤ x");
    const box = html("div", {class: "legend"});
    for (const [id, c] of curves) {  // a step after each value, as plot_edf draws it
      const d = c.x.map((v, i) => `${i ? "H" : "M"}${xs(v).toFixed(1)}${i ? "V" : ","}${ys(c.y[i]).toFixed(1)}`).join("");
      if (d) root.appendChild(tooltip(svg("path", {class: "edf", d, stroke: studyColor(id)}), c.label));
      box.appendChild(swatch(c.label, studyColor(id)));
    }
    const out = html("div", {class: "single"});
    out.append(root, box, html("p", {class: "note"}, `${curves[0][1].title} (${curves[0][1].ylabel})`));
    place("analysis", out);
  }
  function swatch(label, color) {
    const span = html("span", {class: "swatch"}, label);
    span.style.setProperty("--swatch", color);  // the CSSOM: the policy forbids style attributes
    return span;
  }
  function drawAnalysis() {
    for (const b of document.querySelectorAll("#view-tabs button")) b.setAttribute("aria-selected", String(b.dataset.view === app.view));
    document.getElementById("contour-pick").hidden = app.view !== "contour";
    document.getElementById("analysis").dataset.view = app.view;
    if (app.view === "edf") return drawEdf();
    const data = app.figure;
    if (!data || data.view !== app.view) return empty("analysis", "Computing…");
    if (app.view === "contour") return drawContour(data);
    if (data.error) return empty("analysis", data.error);
    drawPanels(data);
  }
  function figureQuery() {
    if (app.view !== "contour" || !app.contour.x || !app.contour.y) return "";
    return `&x=${encodeURIComponent(app.contour.x)}&y=${encodeURIComponent(app.contour.y)}`;
  }
  function objectiveOf(id) {  // the objective drawn, where a compared study has it
    const s = app.studies.find((s) => s.id === id);
    return s && app.objective < s.directions.length ? app.objective : 0;
  }
  // The view's data and the compared studies' lines, asked again when the
  // trials changed (at most every FIGURE_MS) or the view asks for new ones.
  async function loadFigures(id, objective, changed) {
    const now = Date.now();
    if (!(changed || app.figureStale) || now - app.figureAt < FIGURE_MS) return;
    app.figureAt = now;
    app.figureStale = false;
    const view = app.view;
    if (view === "edf") {
      for (const other of [id, ...app.compare]) {
        // a compared study deleted meanwhile is left out, not an error of the page
        const curve = await getJSON(`api/studies/${other}/edf?objective=${other === id ? objective : objectiveOf(other)}`)
          .catch((e) => ({error: e.message}));
        if (id !== app.studyId) return;
        app.edfs.set(other, curve);
      }
    } else {
      const data = await getJSON(`api/studies/${id}/${view}?objective=${objective}${figureQuery()}`);
      if (id !== app.studyId || objective !== app.objective || view !== app.view) return;
      app.figure = {...data, view};
    }
    for (const other of app.compare) {
      const line = await getJSON(`api/studies/${other}/history?objective=${objectiveOf(other)}`)
        .catch((e) => ({error: e.message}));
      if (id !== app.studyId) return;
      app.compareLines.set(other, line);
    }
    drawAnalysis();
    drawHistory(sorted());
  }
  // A change of view, contour axes or compared studies: its data at once.
  function refreshFigures() {
    app.figureStale = true;
    app.figureAt = 0;
    writeHash();
    drawAnalysis();
    drawCompare();
    kickFigures(true);
  }
  // Not awaited, and apart from the importances: a forest over 20,000 trials
  // takes a minute, these views a second.
  function kickFigures(changed) {
    if (app.figureBusy || app.studyId === null || !app.summary) return;
    app.figureBusy = true;
    loadFigures(app.studyId, app.objective, changed).catch((e) => setStatus(e.message, true))
      .finally(() => { app.figureBusy = false; });
  }
  function drawCompare() {
    const list = document.getElementById("compare-list");
    const others = app.studies.filter((s) => s.id !== app.studyId);
    // drawn again only when it changed: a box being clicked stays the same element
    const signature = JSON.stringify([others.map((s) => [s.id, s.name]), [...app.compare]]);
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    list.replaceChildren(...others.map((s) => {
      const label = html("label");
      const box = html("input", {type: "checkbox", value: String(s.id)});
      box.checked = app.compare.has(s.id);
      label.append(box, swatch(s.name, app.compare.has(s.id) ? studyColor(s.id) : "transparent"));
      return label;
    }));
    document.getElementById("compare").hidden = others.length === 0;
  }

  // -- the page's state in its address: #study=1&view=contour&x=..&q=.. --------
  function writeHash() {
    if (app.studyId === null) return;
    const p = new URLSearchParams({study: String(app.studyId)});
    if (app.objective) p.set("objective", String(app.objective));
    if (app.view !== "slice") p.set("view", app.view);
    if (app.view === "contour" && app.contour.x) { p.set("x", app.contour.x); p.set("y", app.contour.y); }
    if (app.compare.size) p.set("compare", [...app.compare].join(","));
    if (app.filter.states.size < STATES.length) p.set("states", [...app.filter.states].join(","));
    if (app.filter.text) p.set("q", app.filter.text);
    for (const [name, [lo, hi]] of Object.entries(app.filter.ranges)) p.set(`range.${name}`, `${lo ?? ""}:${hi ?? ""}`);
    if (app.sort.key !== "number" || app.sort.desc) p.set("sort", `${app.sort.desc ? "-" : ""}${app.sort.key}`);
    history.replaceState(null, "", `#${p}`);
  }
  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const number = (text) => (text !== null && /^\d{1,15}$/.test(text) ? Number(text) : null);
    const bound = (text) => (text === "" || !isFinite(Number(text)) ? null : Number(text));
    const ranges = {};
    for (const [key, value] of p) {
      if (!key.startsWith("range.") || !value.includes(":")) continue;
      const [lo, hi] = value.split(":").map(bound);
      if (lo !== null || hi !== null) ranges[key.slice(6)] = [lo, hi];
    }
    const states = p.get("states");
    const sort = p.get("sort") || "number";
    return {
      study: number(p.get("study")), objective: number(p.get("objective")) || 0,
      view: VIEWS.includes(p.get("view")) ? p.get("view") : "slice",
      contour: {x: p.get("x"), y: p.get("y")},
      compare: new Set((p.get("compare") || "").split(",").map(number).filter((n) => n !== null)),
      states: new Set(states === null ? STATES : states.split(",").filter((s) => STATES.includes(s))),
      text: (p.get("q") || "").trim().toLowerCase(), ranges,
      sort: {key: sort.replace(/^-/, ""), desc: sort.startsWith("-")},
    };
  }
  // What the address says, put into the page's state and its controls.
  function applyState(state) {
    app.view = state.view;
    app.contour = state.contour;
    app.compare = new Set([...state.compare].filter((n) => n !== app.studyId));
    app.filter.states = state.states;
    app.filter.text = state.text;
    app.filter.ranges = state.ranges;
    app.sort = state.sort;
    for (const box of document.querySelectorAll("#state-filter input")) box.checked = state.states.has(box.value);
    document.getElementById("search").value = state.text;
    const ranges = document.getElementById("range-boxes");
    ranges.dataset.names = "";  // drawn again with the ranges
    if (Object.keys(state.ranges).length) document.getElementById("ranges").open = true;
    app.figure = null;
    app.edfs.clear();
    app.compareLines.clear();
  }

  // a parameter is its number, or [index, label] for a categorical one
  function internal(p) { return p === undefined ? null : Array.isArray(p) ? p[0] : p; }
  function paramText(p, short = false) {
    if (Array.isArray(p)) return p[1];
    if (p === null) return "–";
    return short ? fmtSig(p) : String(p);
  }
  function fmtSig(v) {
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? Number(v.toPrecision(4)).toExponential()
      : String(Number(v.toPrecision(4)));
  }

  // The line under the title: what is optimised, the trials by state, and
  // the best trial, or for several objectives the size of the Pareto front
  // (no single trial is best there).
  function drawMeta(trials) {
    const counts = {};
    for (const t of trials) counts[t.state] = (counts[t.state] || 0) + 1;
    const parts = Object.entries(counts).map(([s, n]) => `${n} ${s.toLowerCase()}`);
    const goal = multi() ? app.summary.directions.map((d, k) => `${d} ${names()[k]}`).join(", ")
      : app.summary.direction;
    let best = "";
    if (multi()) {
      best = app.pareto && !app.pareto.error ? ` · Pareto front: ${app.pareto.n_front} of ${app.pareto.points.length} complete trials` : "";
    } else {
      let top = null;
      for (const t of trials) if (t.state === "COMPLETE" && t.value !== null && (top === null || better(t.value, top.value))) top = t;
      if (top) best = ` · best ${fmt(top.value)} at trial ${top.number}`;
    }
    document.getElementById("study-meta").textContent =
      `${goal} · ${trials.length} trials (${parts.join(", ") || "none"})${best}`;
  }
  function drawRunning() {
    const n = app.running.size, node = document.getElementById("running");
    node.hidden = n === 0;
    node.textContent = `${n} trial${n === 1 ? "" : "s"} running now`;
  }

  function drawAll() {
    const trials = sorted();
    drawMeta(trials);
    drawRunning();
    drawHistory(trials);
    drawImportances();
    drawPareto();
    drawParallel(trials);
    drawIntermediate(trials);
    drawTimeline(trials);
    drawAnalysis();
    drawRanges();
    updateRows();
    document.body.dataset.trials = String(trials.length);
    // when the first draw finished, in ms since navigation (what benchmarks read)
    if (!document.body.dataset.firstDrawMs) document.body.dataset.firstDrawMs = String(Math.round(performance.now()));
    // the search box's texts, built while the page is idle: the first search
    // over 20,000 trials otherwise built them all and took 0.4 s
    (window.requestIdleCallback || setTimeout)(() => { for (const t of trials) textOf(t); });
  }

  // -- data ----------------------------------------------------------------------
  function drawStudies() {
    const list = document.getElementById("study-list");
    list.replaceChildren(...app.studies.map((s) => {
      const a = html("a", {href: `#study=${s.id}`}, s.name);
      if (s.id === app.studyId) a.classList.add("current");
      a.appendChild(html("span", {class: "count"}, `(${s.n_trials})`));
      const running = s.states.RUNNING || 0;
      if (running) a.appendChild(html("span", {class: "live", title: "trials running now"}, `● ${running} running`));
      const li = html("li");
      li.appendChild(a);
      return li;
    }));
    document.getElementById("no-studies").hidden = app.studies.length > 0;
    drawCompare();
  }

  async function loadStudies() {
    app.studies = await getJSON("api/studies");
    drawStudies();
    if (app.studyId === null && app.studies.length) {
      history.replaceState(null, "", `#study=${app.studies[0].id}`);
      await selectFromHash();
    }
  }

  function forget() {
    app.trials.clear(); app.running.clear(); app.next = 0; app.lastSignature = "";
    app.importances = null; app.importancesAt = 0; app.pareto = null; app.paretoAt = 0;
    app.figure = null; app.figureAt = 0; app.figureStale = true; app.edfs.clear();
  }

  // The address names the study and the state of the page (see writeHash):
  // a link reproduces what its sender saw.
  async function selectFromHash() {
    const state = readHash();
    const id = state.study;
    if (id === null) return;
    if (id === app.studyId) {  // the same study: its view, filters and objective
      if (!app.summary) return;
      const objective = state.objective;
      applyState(state);
      updateRows(true);
      refreshFigures();
      if (objective !== app.objective && objective < app.summary.directions.length) {
        drawObjectives(objective);
        await selectObjective(objective);
      }
      return;
    }
    app.studyId = id;
    forget();
    app.axes = {};
    applyState(state);
    document.getElementById("range-boxes").dataset.names = "";
    if (app.detail !== null) closeDetail();
    app.summary = await getJSON(`api/studies/${id}`);
    app.objective = state.objective < app.summary.directions.length ? state.objective : 0;
    if (app.objective) app.summary = await getJSON(`api/studies/${id}?objective=${app.objective}`);
    document.getElementById("study").hidden = false;
    document.getElementById("study-title").textContent = app.summary.name;
    drawObjectives();
    drawStudies();
    await loadTrials();
  }

  function drawObjectives(chosen = app.objective) {
    const directions = app.summary.directions;
    const select = document.getElementById("objective");
    select.replaceChildren(...directions.map((d, k) => {
      const option = html("option", {value: String(k)}, `${names()[k]} (${d})`);
      if (k === chosen) option.selected = true;
      return option;
    }));
    document.getElementById("objective-pick").hidden = directions.length < 2;
  }

  async function selectObjective(k) {
    const id = app.studyId;
    app.objective = k;
    forget();
    writeHash();
    const summary = await getJSON(`api/studies/${id}?objective=${k}`);
    if (id !== app.studyId || k !== app.objective) return;
    app.summary = summary;
    await loadTrials();
  }

  async function loadTrials() {
    const id = app.studyId, objective = app.objective;
    const data = await getJSON(`api/studies/${id}/trials?since=${app.next}&objective=${objective}`);
    if (id !== app.studyId || objective !== app.objective) return;  // the user moved on meanwhile
    if (data.reset) app.trials.clear();
    for (const n of app.running) app.trials.delete(n);
    app.running.clear();
    for (const t of data.finished) app.trials.set(t.number, t);
    for (const t of data.running) { app.trials.set(t.number, t); app.running.add(t.number); }
    app.next = data.next;
    app.axes = data.axes;
    const signature = `${app.next}|${JSON.stringify(data.running)}`;
    const changed = signature !== app.lastSignature;
    if (changed) { app.lastSignature = signature; drawAll(); }
    // importances and the Pareto front after the draw, and not awaited: the
    // forest takes seconds over many trials, and the table stays live meanwhile
    if (!app.sideBusy) {
      app.sideBusy = true;
      loadSide(id, objective, changed).catch((e) => setStatus(e.message, true)).finally(() => { app.sideBusy = false; });
    }
    kickFigures(changed);
  }

  // Asked again while they cover fewer complete trials than the page shows:
  // a change that came within IMPORTANCE_MS of the last ask (or that the
  // server's own throttle answered from its cache) would otherwise leave
  // them stale for good once the study stops growing.
  async function loadSide(id, objective, changed) {
    const now = Date.now();
    let nComplete = 0;
    for (const t of app.trials.values()) if (t.state === "COMPLETE") nComplete += 1;
    if (multi() && (changed || !app.pareto) && now - app.paretoAt >= IMPORTANCE_MS / 5) {
      app.paretoAt = now;
      const pareto = await getJSON(`api/studies/${id}/pareto`);
      if (id !== app.studyId) return;
      app.pareto = pareto;
      drawPareto();
      drawMeta(sorted());
    }
    const stale = !app.importances || app.importances.n_trials !== nComplete;
    if (now - app.importancesAt >= IMPORTANCE_MS && (changed || stale)) {
      app.importancesAt = now;
      const importances = await getJSON(`api/studies/${id}/importances?objective=${objective}`);
      if (id !== app.studyId || objective !== app.objective) return;
      app.importances = importances;
      drawImportances();
      drawParallel(sorted());
    }
  }

  async function poll() {
    try {
      if (app.polls % STUDIES_EVERY === 0) await loadStudies();
      if (app.studyId !== null) await loadTrials();
      setStatus(`live · updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      setStatus(`cannot reach the server (${err.message}); retrying`, true);
    }
    app.polls += 1;
    setTimeout(poll, POLL_MS);
  }

  function listen() {
    document.querySelector("#trials thead").addEventListener("click", (event) => {
      const th = event.target.closest("th");
      if (!th) return;
      const key = th.dataset.key;
      app.sort = {key, desc: app.sort.key === key ? !app.sort.desc : false};
      updateRows(true);
      writeHash();
    });
    document.querySelector("#trials tbody").addEventListener("click", (event) => {
      const tr = event.target.closest("tr[data-number]");
      if (tr) openDetail(Number(tr.dataset.number)).catch((e) => setStatus(e.message, true));
    });
    let pending = false;
    document.querySelector("#trials .table-wrap").addEventListener("scroll", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; renderRows(); });
    });
    document.getElementById("state-filter").addEventListener("change", (event) => {
      const box = event.target;
      if (box.checked) app.filter.states.add(box.value); else app.filter.states.delete(box.value);
      updateRows(true);
      writeHash();
    });
    document.getElementById("search").addEventListener("input", (event) => {
      app.filter.text = event.target.value.trim().toLowerCase();
      updateRows(true);
      writeHash();
    });
    document.getElementById("range-boxes").addEventListener("input", (event) => {
      if (!event.target.dataset.param) return;
      readRange(event.target);
      updateRows(true);
      writeHash();
    });
    document.getElementById("detail-close").addEventListener("click", closeDetail);
    document.addEventListener("keydown", (event) => { if (event.key === "Escape" && app.detail !== null) closeDetail(); });
    document.getElementById("objective").addEventListener("change", (event) => {
      selectObjective(Number(event.target.value)).catch((e) => setStatus(e.message, true));
    });
    document.getElementById("view-tabs").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-view]");
      if (!button || button.dataset.view === app.view) return;
      app.view = button.dataset.view;
      app.figure = null;
      refreshFigures();
    });
    document.getElementById("contour-pick").addEventListener("change", () => {
      app.contour = {x: document.getElementById("contour-x").value, y: document.getElementById("contour-y").value};
      app.figure = null;
      refreshFigures();
    });
    document.getElementById("compare-list").addEventListener("change", (event) => {
      const id = Number(event.target.value);
      if (event.target.checked) app.compare.add(id); else { app.compare.delete(id); app.compareLines.delete(id); app.edfs.delete(id); }
      refreshFigures();
      drawHistory(sorted());
    });
    window.addEventListener("hashchange", () => { selectFromHash().catch((e) => setStatus(e.message, true)); });
  }

  listen();
  selectFromHash().catch((e) => setStatus(e.message, true)).finally(poll);
})();
