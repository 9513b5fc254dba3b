// The analysis panel (slice, contour, rank, EDF) drawn from sksearch.plot's data, and the studies compared.

import {
  H, MAX_POINT_ELEMENTS, W, axisLabels, clip, colorBar, colorScale, dots, empty, extent, finite,
  fmt, frame, html, leftMargin, mix, place, scale, svg, swatch, tooltip
} from "./svg.js";
import {app, getJSON, objectiveOf, setStatus, sorted, studyColor, writeHash} from "./state.js";
import {drawHistory} from "./charts.js";

const FIGURE_MS = 2000;            // a live study's slice, contour, rank, EDF: at most this often

// Slice, contour, rank and EDF are drawn from the data sksearch.plot computes
// (the API answers plot_slice's, plot_contour's, plot_rank's and plot_edf's
// data as numbers; nothing of them is computed here).

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
export function drawAnalysis() {
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
export function refreshFigures() {
  app.figureStale = true;
  app.figureAt = 0;
  writeHash();
  drawAnalysis();
  drawCompare();
  kickFigures(true);
}
// Not awaited, and apart from the importances: a forest over 20,000 trials
// takes a minute, these views a second.
export function kickFigures(changed) {
  if (app.figureBusy || app.studyId === null || !app.summary) return;
  app.figureBusy = true;
  loadFigures(app.studyId, app.objective, changed).catch((e) => setStatus(e.message, true))
    .finally(() => { app.figureBusy = false; });
}
export function drawCompare() {
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
