// The page's state: what it shows, what is read off it, the JSON it asks the server, and the address that names it.

import {fmtSig} from "./svg.js";

const STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING"];

export const app = {
  studies: [], studyId: null, summary: null, trials: new Map(), running: new Set(),
  next: 0, axes: {}, sort: {key: "number", desc: false}, importances: null,
  importancesAt: 0, polls: 0, lastSignature: "", objective: 0, pareto: null, paretoAt: 0,
  filter: {states: new Set(STATES), text: "", ranges: {}}, rows: [], rowHeight: 23,
  detail: null, sideBusy: false,
  // the analysis view shown, its data, and the studies compared with this one
  view: "slice", contour: {x: null, y: null}, figure: null, figureAt: 0, figureStale: true,
  compare: new Set(), compareLines: new Map(), edfs: new Map(), figureBusy: false,
};

// -- the server: its answers as JSON, and the status line saying how it went ---
export function setStatus(text, error = false) {
  const node = document.getElementById("status");
  node.textContent = text;
  node.classList.toggle("error", error);
}
export async function getJSON(url) {
  const response = await fetch(url, {cache: "no-store"});
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || String(response.status));
  return body;
}

// -- what is read off the state -----------------------------------------------
// a study of several objectives draws the one chosen (?objective=k of the
// API), named by its metric when the search stored the names
export function names() { return app.summary.objective_names || app.summary.directions.map((_, k) => `objective ${k}`); }
export function valueName() { return names()[app.objective] || "value"; }
export function multi() { return app.summary.directions.length > 1; }
export function sorted() { return [...app.trials.values()].sort((a, b) => a.number - b.number); }
export function better(a, b) { return app.summary.direction === "maximize" ? a > b : a < b; }

// the analysis views (views.js), as the address names them
const VIEWS = ["slice", "contour", "rank", "edf"];
// a compared study's colour (the study shown is green, as its best-so-far line)
const PALETTE = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#7f7f7f", "#1f77b4"];
export function studyColor(id) {
  if (id === app.studyId) return "#2ca02c";
  const k = [...app.compare].indexOf(id);
  return PALETTE[(k < 0 ? 0 : k) % PALETTE.length];
}
function studyName(id) {
  const s = app.studies.find((s) => s.id === id);
  return s ? s.name : `study ${id}`;
}
export function objectiveOf(id) {  // the objective drawn, where a compared study has it
  const s = app.studies.find((s) => s.id === id);
  return s && app.objective < s.directions.length ? app.objective : 0;
}

// -- the page's state in its address: #study=1&view=contour&x=..&q=.. --------
export function writeHash() {
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
export function readHash() {
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
export function applyState(state) {
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
export function internal(p) { return p === undefined ? null : Array.isArray(p) ? p[0] : p; }
export function paramText(p, short = false) {
  if (Array.isArray(p)) return p[1];
  if (p === null) return "–";
  return short ? fmtSig(p) : String(p);
}
