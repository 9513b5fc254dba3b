// The trials table (filtered, sorted, only the rows in view drawn) and one trial's detail.

import {fmt, fmtSig, html} from "./svg.js";
import {app, getJSON, internal, multi, names, paramText, valueName} from "./state.js";

// The table draws the rows in view and this many more on each side, so a
// study of 20,000 trials costs the page some 60 rows, not 20,000.
const OVERSCAN = 15;

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
export function textOf(t) {
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
export function updateRows(toTop = false) {
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
export function renderRows() {
  const wrap = document.querySelector("#trials .table-wrap");
  const columns = tableColumns(), h = app.rowHeight;
  // The box grows with its rows up to its max-height: its height now is
  // that of the rows drawn before, and a burst of new trials drawn for that
  // height was left blank below them until a scroll.
  const view = Math.max(wrap.clientHeight, parseFloat(getComputedStyle(wrap).maxHeight) || 0);
  const first = Math.max(0, Math.floor(wrap.scrollTop / h) - OVERSCAN);
  const last = Math.min(app.rows.length, Math.ceil((wrap.scrollTop + view) / h) + OVERSCAN);
  const body = document.querySelector("#trials tbody");
  body.replaceChildren(spacer(first * h, columns.length),
                       ...app.rows.slice(first, last).map((t) => row(t, columns)),
                       spacer((app.rows.length - last) * h, columns.length));
  const drawn = body.querySelector("tr[data-number]");
  if (drawn) app.rowHeight = drawn.getBoundingClientRect().height || h;  // what the CSS gave
}
export function drawRanges() {
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
export function readRange(input) {
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
export async function openDetail(number) {
  const id = app.studyId;
  app.detail = number;
  renderRows();
  const d = await getJSON(`api/studies/${id}/trial/${number}`);
  if (id === app.studyId && app.detail === number) drawDetail(d);
}
export function closeDetail() {
  app.detail = null;
  document.getElementById("detail").hidden = true;
  renderRows();
}
