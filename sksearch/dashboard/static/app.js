// sksearch dashboard: polls the JSON API and draws every view as SVG (the module the page loads; it wires the others).
// Every string that comes from a study (names, parameter values, reprs) enters
// the page through textContent only, never as markup.

import {fmt, html} from "./svg.js";
import {
  app, applyState, better, getJSON, multi, names, readHash, setStatus, sorted, writeHash
} from "./state.js";
import {
  drawHistory, drawImportances, drawIntermediate, drawParallel, drawPareto, drawTimeline
} from "./charts.js";
import {drawAnalysis, drawCompare, kickFigures, refreshFigures} from "./views.js";
import {closeDetail, drawRanges, openDetail, readRange, renderRows, textOf, updateRows} from "./table.js";

const POLL_MS = 1000;
const STUDIES_EVERY = 5;           // polls between two reads of the study list
const IMPORTANCE_MS = 5000;        // the server refits at most this often

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
