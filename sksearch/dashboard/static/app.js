// sksearch dashboard: polls the JSON API and draws every view as SVG.
// Every string that comes from a study (names, parameter values, reprs) enters
// the page through textContent only, never as markup.
"use strict";

(() => {
  const SVGNS = "http://www.w3.org/2000/svg";
  const POLL_MS = 1000;
  const STUDIES_EVERY = 5;           // polls between two reads of the study list
  const IMPORTANCE_MS = 5000;        // the server refits at most this often
  const COLORS = {COMPLETE: "#1f77b4", PRUNED: "#ff7f0e", FAIL: "#d62728", RUNNING: "#9aa4ad"};
  const W = 560, H = 300;            // every chart's viewBox
  // Past these, the timeline merges its bars into one path per worker and
  // state, and the table shows its first rows until asked for all: an SVG
  // element (and its tooltip) per fold task made the first draw of a
  // 2,000-trial study take a second in Chromium.
  const MAX_SPAN_ELEMENTS = 1000, TABLE_ROWS = 500;

  const app = {
    studies: [], studyId: null, summary: null, trials: new Map(), running: new Set(),
    next: 0, axes: {}, sort: {key: "number", desc: false}, importances: null, allRows: false,
    importancesAt: 0, polls: 0, lastSignature: "", objective: 0,
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
    const a = f(d0), b = f(d1), span = b - a || 1;
    const s = (x) => r0 + (f(x) - a) / span * (r1 - r0);
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
  function extent(values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (lo === Infinity) return [0, 1];
    if (lo === hi) { const pad = Math.abs(lo) * 0.05 || 0.5; return [lo - pad, hi + pad]; }
    const pad = (hi - lo) * 0.04;
    return [lo - pad, hi + pad];
  }
  function frame(xs, ys, m) {
    const root = svg("svg", {viewBox: `0 0 ${W} ${H}`, role: "img"});
    const grid = svg("g", {class: "grid"}), axis = svg("g", {class: "axis"});
    for (const t of ys.ticks()) {
      const y = ys(t);
      grid.appendChild(svg("line", {x1: m.l, x2: W - m.r, y1: y, y2: y}));
      const g = svg("g", {class: "tick"});
      g.appendChild(svg("text", {x: m.l - 5, y: y + 3.5, "text-anchor": "end"}, fmt(t)));
      axis.appendChild(g);
    }
    for (const t of xs.ticks()) {
      const g = svg("g", {class: "tick"});
      g.appendChild(svg("text", {x: xs(t), y: H - m.b + 14, "text-anchor": "middle"}, fmt(t)));
      axis.appendChild(g);
    }
    axis.appendChild(svg("line", {x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b}));
    axis.appendChild(svg("line", {x1: m.l, x2: m.l, y1: m.t, y2: H - m.b}));
    root.append(grid, axis);
    return root;
  }
  function axisLabels(root, m, xLabel, yLabel) {
    root.appendChild(svg("text", {x: (m.l + W - m.r) / 2, y: H - 4, "text-anchor": "middle"}, xLabel));
    root.appendChild(svg("text", {x: 12, y: (m.t + H - m.b) / 2, "text-anchor": "middle",
                                  transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})`}, yLabel));
  }
  function place(id, node) {
    const chart = document.querySelector(`#${id} .chart`);
    chart.replaceChildren(node);
  }
  function empty(id, text) { place(id, html("p", {class: "empty"}, text)); }
  function legend(states) {
    const box = html("div", {class: "legend"});
    for (const s of states) box.appendChild(html("span", {class: s}, s === "BEST" ? "best so far" : s.toLowerCase()));
    return box;
  }

  // -- views ---------------------------------------------------------------------
  // a study of several objectives draws the one chosen (?objective=k of the API)
  function valueName() { return app.summary.directions.length > 1 ? `objective ${app.objective}` : "value"; }
  function sorted() { return [...app.trials.values()].sort((a, b) => a.number - b.number); }
  function better(a, b) { return app.summary.direction === "maximize" ? a > b : a < b; }

  function drawHistory(trials) {
    const shown = trials.filter((t) => t.value !== null && t.state !== "RUNNING");
    if (!shown.length) return empty("history", "No finished trial with a value yet.");
    const m = {l: 56, r: 12, t: 10, b: 34};
    const xs = scale(0, Math.max(1, trials[trials.length - 1].number), m.l, W - m.r, {integer: true});
    const [lo, hi] = extent(shown.map((t) => t.value));
    const ys = scale(lo, hi, H - m.b, m.t);
    const root = frame(xs, ys, m);
    axisLabels(root, m, "trial", valueName());
    let best = null, path = "";
    for (const t of shown) {
      if (t.state !== "COMPLETE") continue;
      if (best === null || better(t.value, best)) best = t.value;
      path += `${path ? "L" : "M"}${xs(t.number).toFixed(1)},${ys(best).toFixed(1)}`;
    }
    if (best !== null) {
      path += `L${xs(trials[trials.length - 1].number).toFixed(1)},${ys(best).toFixed(1)}`;
      root.appendChild(svg("path", {class: "best", d: path}));
    }
    const points = svg("g");
    for (const t of shown) {
      points.appendChild(tooltip(svg("circle", {
        class: `point ${t.state}`, cx: xs(t.number).toFixed(1), cy: ys(t.value).toFixed(1),
        r: 3.2, fill: COLORS[t.state]}), `trial ${t.number} (${t.state.toLowerCase()}): ${fmt(t.value)}`));
    }
    root.appendChild(points);
    const box = html("div");
    box.append(root, legend(["COMPLETE", "PRUNED", "BEST"]));
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

  function drawParallel(trials) {
    const complete = trials.filter((t) => t.state === "COMPLETE" && t.value !== null);
    let names = Object.keys(app.axes);
    if (app.importances && app.importances.importances) {
      const rank = new Map(app.importances.importances.map(([n], i) => [n, i]));
      names.sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a.localeCompare(b));
    } else {
      names.sort();
    }
    names = names.slice(0, 10);
    if (complete.length < 1 || !names.length) return empty("parallel", "No complete trial yet.");
    const m = {l: 64, r: 70, t: 36, b: 24}, width = 1100;
    const root = svg("svg", {viewBox: `0 0 ${width} ${H}`, role: "img"});
    const columns = [...names, "value"];
    const x = (i) => m.l + i * (width - m.l - m.r) / (columns.length - 1 || 1);
    const [vlo, vhi] = extent(complete.map((t) => t.value));
    const valuePos = (v) => (v - vlo) / (vhi - vlo);
    const y = (u) => H - m.b - u * (H - m.t - m.b);
    const goodness = (v) => (app.summary.direction === "maximize" ? valuePos(v) : 1 - valuePos(v));
    const order = [...complete].sort((a, b) => goodness(a.value) - goodness(b.value));
    const top = new Set(order.slice(-Math.max(1, Math.ceil(order.length * 0.1))).map((t) => t.number));
    const lines = svg("g");
    for (const t of order) {
      let d = "", pen = false;
      columns.forEach((name, i) => {
        const u = name === "value" ? valuePos(t.value)
          : axisPosition(app.axes[name], internal(t.params[name]));
        if (u === null || !isFinite(u)) { pen = false; return; }
        d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(u).toFixed(1)}`;
        pen = true;
      });
      const label = names.filter((n) => n in t.params).map((n) => `${n}=${paramText(t.params[n])}`).join(", ");
      lines.appendChild(tooltip(svg("path", {class: top.has(t.number) ? "pc top" : "pc", d,
        stroke: mix(goodness(t.value))}), `trial ${t.number}: ${fmt(t.value)}\n${label}`));
    }
    root.appendChild(lines);
    columns.forEach((name, i) => {
      const g = svg("g", {class: "axis"});
      g.appendChild(svg("line", {x1: x(i), x2: x(i), y1: m.t, y2: H - m.b}));
      const head = svg("text", {x: x(i), y: m.t - 20, "text-anchor": "middle"}, clip(name, 18));
      g.appendChild(tooltip(head, name));
      const axis = app.axes[name];
      let ticks;
      if (name === "value") ticks = [[0, fmt(vlo)], [1, fmt(vhi)]];
      else if (axis.type === "categorical") ticks = axis.labels.map((l, k) => [axisPosition(axis, k), l]);
      else ticks = [[0, fmt(axis.low)], [1, fmt(axis.high)]];
      if (ticks.length > 8) ticks = [ticks[0], ticks[ticks.length - 1]];
      for (const [u, text] of ticks) {
        const t = svg("g", {class: "tick"});
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
    const steps = traced.flatMap((t) => t.intermediate.map(([s]) => s));
    const values = traced.flatMap((t) => t.intermediate.map(([, v]) => v).filter((v) => v !== null));
    const m = {l: 56, r: 12, t: 10, b: 34};
    const xs = scale(Math.min(...steps), Math.max(Math.max(...steps), Math.min(...steps) + 1), m.l, W - m.r,
                     {integer: true});
    const [lo, hi] = extent(values);
    const ys = scale(lo, hi, H - m.b, m.t);
    const root = frame(xs, ys, m);
    axisLabels(root, m, "step", "intermediate value");
    const g = svg("g");
    for (const t of traced) {
      const points = t.intermediate.filter(([, v]) => v !== null);
      const d = points.map(([s, v], i) => `${i ? "L" : "M"}${xs(s).toFixed(1)},${ys(v).toFixed(1)}`).join("");
      const color = COLORS[t.state];
      g.appendChild(tooltip(svg("path", {class: "trace", d, stroke: color}), `trial ${t.number} (${t.state.toLowerCase()})`));
      if (points.length === 1) {  // a path of one point draws nothing: a dot instead
        const [[s, v]] = points;
        g.appendChild(svg("circle", {cx: xs(s).toFixed(1), cy: ys(v).toFixed(1), r: 2.2, fill: color}));
      }
    }
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

  function drawTable(trials) {
    const names = Object.keys(app.axes).sort();
    const columns = [["number", "#", false], ["state", "state", true], ["value", valueName(), false],
                     ["duration", "duration (s)", false], ...names.map((n) => [`p:${n}`, n, false])];
    const head = document.querySelector("#trials thead tr");
    head.replaceChildren(...columns.map(([key, label, text]) => {
      const th = html("th", {"data-key": key, class: text || key.startsWith("p:") ? "text" : ""}, label);
      if (app.sort.key === key) th.classList.add("sorted");
      if (app.sort.key === key && app.sort.desc) th.classList.add("desc");
      return th;
    }));
    const key = app.sort.key;
    const sortValue = (t) => {
      if (key === "duration") return t.end !== null && t.start !== null ? t.end - t.start : null;
      if (key.startsWith("p:")) return internal(t.params[key.slice(2)]);
      return t[key];
    };
    const rows = [...trials].sort((a, b) => {
      const va = sortValue(a), vb = sortValue(b);
      if (va === vb) return a.number - b.number;
      if (va === null || va === undefined) return 1;   // missing values last, either way
      if (vb === null || vb === undefined) return -1;
      const c = va < vb ? -1 : 1;
      return app.sort.desc ? -c : c;
    });
    const body = document.querySelector("#trials tbody");
    const shown = app.allRows ? rows : rows.slice(0, TABLE_ROWS);
    const more = document.getElementById("all-rows");
    more.hidden = shown.length === rows.length;
    more.textContent = `show all ${rows.length} rows`;
    body.replaceChildren(...shown.map((t) => {
      const tr = html("tr", {class: t.state, "data-number": String(t.number)});
      const duration = t.end !== null && t.start !== null ? (t.end - t.start).toFixed(2) : "–";
      tr.append(html("td", {}, String(t.number)), html("td", {class: "state text"}, t.state.toLowerCase()),
                html("td", {}, fmt(t.value)), html("td", {}, duration));
      for (const n of names) {
        const td = html("td", {class: "text"}, n in t.params ? paramText(t.params[n], true) : "");
        if (n in t.params) td.title = paramText(t.params[n]);
        tr.appendChild(td);
      }
      if (t.fail_reason) tr.title = t.fail_reason;
      return tr;
    }));
    document.getElementById("trial-count").textContent = shown.length === rows.length
      ? `${trials.length} trials` : `${trials.length} trials, the first ${shown.length} shown`;
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

  function drawAll() {
    const trials = sorted();
    const counts = {};
    for (const t of trials) counts[t.state] = (counts[t.state] || 0) + 1;
    const parts = Object.entries(counts).map(([s, n]) => `${n} ${s.toLowerCase()}`);
    let best = null;
    for (const t of trials) if (t.state === "COMPLETE" && (best === null || better(t.value, best.value))) best = t;
    document.getElementById("study-meta").textContent =
      `${app.summary.direction} · ${trials.length} trials (${parts.join(", ") || "none"})` +
      (best ? ` · best ${fmt(best.value)} at trial ${best.number}` : "");
    drawHistory(trials);
    drawImportances();
    drawParallel(trials);
    drawIntermediate(trials);
    drawTimeline(trials);
    drawTable(trials);
    document.body.dataset.trials = String(trials.length);
    // when the first draw finished, in ms since navigation (what benchmarks read)
    if (!document.body.dataset.firstDrawMs) document.body.dataset.firstDrawMs = String(Math.round(performance.now()));
  }

  // -- data ----------------------------------------------------------------------
  function drawStudies() {
    const list = document.getElementById("study-list");
    list.replaceChildren(...app.studies.map((s) => {
      const a = html("a", {href: `#study=${s.id}`}, s.name);
      if (s.id === app.studyId) a.classList.add("current");
      a.appendChild(html("span", {class: "count"}, `(${s.n_trials})`));
      const li = html("li");
      li.appendChild(a);
      return li;
    }));
    document.getElementById("no-studies").hidden = app.studies.length > 0;
  }

  async function loadStudies() {
    app.studies = await getJSON("api/studies");
    drawStudies();
    if (app.studyId === null && app.studies.length) {
      history.replaceState(null, "", `#study=${app.studies[0].id}`);
      await selectFromHash();
    }
  }

  async function selectFromHash() {
    const match = /^#study=(\d+)$/.exec(location.hash);
    const id = match ? Number(match[1]) : null;
    if (id === null || id === app.studyId) return;
    app.studyId = id;
    app.trials.clear(); app.running.clear(); app.next = 0; app.axes = {};
    app.importances = null; app.importancesAt = 0; app.lastSignature = ""; app.objective = 0;
    app.summary = await getJSON(`api/studies/${id}`);
    document.getElementById("study").hidden = false;
    document.getElementById("study-title").textContent = app.summary.name;
    drawObjectives();
    drawStudies();
    await loadTrials();
  }

  function drawObjectives() {
    const directions = app.summary.directions;
    const select = document.getElementById("objective");
    select.replaceChildren(...directions.map((d, k) => {
      const option = html("option", {value: String(k)}, `${k} (${d})`);
      if (k === app.objective) option.selected = true;
      return option;
    }));
    document.getElementById("objective-pick").hidden = directions.length < 2;
  }

  async function selectObjective(k) {
    const id = app.studyId;
    app.objective = k;
    app.trials.clear(); app.running.clear(); app.next = 0;
    app.importances = null; app.importancesAt = 0; app.lastSignature = "";
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
    // importances after the draw: the forest takes a while over many trials.
    // Asked again while they cover fewer complete trials than the page shows:
    // a change that came within IMPORTANCE_MS of the last ask (or that the
    // server's own throttle answered from its cache) would otherwise leave
    // them stale for good once the study stops growing.
    const now = Date.now();
    let nComplete = 0;
    for (const t of app.trials.values()) if (t.state === "COMPLETE") nComplete += 1;
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

  document.querySelector("#trials thead").addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    const key = th.dataset.key;
    app.sort = {key, desc: app.sort.key === key ? !app.sort.desc : false};
    drawTable(sorted());
  });
  document.getElementById("all-rows").addEventListener("click", () => {
    app.allRows = true;
    drawTable(sorted());
  });
  document.getElementById("objective").addEventListener("change", (event) => {
    selectObjective(Number(event.target.value)).catch((e) => setStatus(e.message, true));
  });
  window.addEventListener("hashchange", () => { selectFromHash().catch((e) => setStatus(e.message, true)); });
  selectFromHash().catch((e) => setStatus(e.message, true)).finally(poll);
})();
