"use strict";
// The explorer page of `milkyway serve`: totals, a 3-D overview of the pyramid, three linked
// density maps (slab slider, drag a box), the stars of the region in 3-D, a source_id search.
// The view lives in the URL's hash, so a link reopens it.

const SIZE = 320; // pixels of each density map
const VIEWS = { z: [0, 1], y: [0, 2], x: [1, 2] }; // projection axis -> image axes (u, v)
const AXIS = ["x", "y", "z"];
const $ = (id) => document.getElementById(id);
const state = { slab: 0, box: null, sphere: null, zoom: false, star: null };
let summary = null;
// Plotly (3.5 MB) loads beside the maps: the first picture does not wait for it.
const plotly = new Promise((resolve, reject) => {
  const s = document.createElement("script");
  s.src = "/assets/plotly.min.js";
  s.onload = () => resolve(window.Plotly);
  s.onerror = () => reject(new Error("plotly.min.js failed to load"));
  document.head.appendChild(s);
});
// What the page shows, for tests and curious readers.
// firstPicture and allPictures: performance.now() when the first and the third map of the
// first load were drawn (ms from the start of the navigation).
window.explorer = { ready: false, overviewPoints: 0, regionPoints: 0, regionCount: null, images: 0, firstPicture: null, allPictures: null };

async function api(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }
const fmt = (n) => Number(n).toLocaleString("en-US");
const num = (v) => Math.round(v * 100) / 100;

// ---- URL state ----
function saveUrl() {
  const p = new URLSearchParams();
  if (state.slab > 0) p.set("slab", state.slab);
  if (state.box) p.set("box", state.box.map((r) => r.map(num).join(":")).join(","));
  if (state.sphere) p.set("sphere", state.sphere.map(num).join(","));
  if (state.zoom) p.set("zoom", "1");
  if (state.star) p.set("star", state.star);
  history.replaceState(null, "", "#" + p.toString());
}

function loadUrl() {
  const p = new URLSearchParams(location.hash.slice(1));
  const s = Number(p.get("slab"));
  if (s > 0) state.slab = s;
  const b = p.get("box");
  if (b) {
    const r = b.split(",").map((a) => a.split(":").map(Number));
    if (r.length === 3 && r.every((x) => x.length === 2 && x.every(Number.isFinite))) state.box = r;
  }
  const sp = p.get("sphere");
  if (sp) {
    const v = sp.split(",").map(Number);
    if (v.length === 4 && v.every(Number.isFinite)) state.sphere = v;
  }
  state.zoom = p.get("zoom") === "1";
  state.star = p.get("star");
}

// ---- geometry ----
function regionBounds() {
  if (state.box) return state.box;
  if (state.sphere) {
    const [x, y, z, r] = state.sphere;
    return [[x - r, x + r], [y - r, y + r], [z - r, z + r]];
  }
  return null;
}

// The (square) window of the maps in ly: the region when zoomed, else the whole cube.
function viewWindow(axis) {
  const [lo, hi] = summary.extent_ly;
  const reg = regionBounds();
  if (!state.zoom || !reg) return [[lo, hi], [lo, hi]];
  const [ua, va] = VIEWS[axis];
  const [u, v] = [reg[ua], reg[va]];
  const half = Math.max(u[1] - u[0], v[1] - v[0], 2 * summary.grid.cell_ly) / 2;
  const cu = (u[0] + u[1]) / 2, cv = (v[0] + v[1]) / 2;
  return [[cu - half, cu + half], [cv - half, cv + half]];
}

function toPixel(axis, pu, pv) {
  const [[u0, u1], [v0, v1]] = viewWindow(axis);
  return [((pu - u0) / (u1 - u0)) * SIZE, ((v1 - pv) / (v1 - v0)) * SIZE];
}

function toLy(axis, x, y) {
  const [[u0, u1], [v0, v1]] = viewWindow(axis);
  return [u0 + (x / SIZE) * (u1 - u0), v1 - (y / SIZE) * (v1 - v0)];
}

// ---- maps ----
function drawMaps() {
  for (const axis of Object.keys(VIEWS)) {
    const [ua, va] = VIEWS[axis];
    const w = viewWindow(axis);
    let q = `axis=${axis}&size=${SIZE}&window=${w[0].join(":")},${w[1].join(":")}`;
    if (state.slab > 0) q += `&slab=${-state.slab}:${state.slab}`;
    const img = document.querySelector(`#view-${axis} img`);
    img.onload = () => {
      const ex = window.explorer;
      ex.images += 1;
      if (ex.images === 1) ex.firstPicture = performance.now();
      if (ex.images === 3) ex.allPictures = performance.now();
    };
    img.onerror = () => showError(`map along ${axis} failed`);
    img.src = `/api/projection?${q}`;
    $(`axes-${axis}`).textContent =
      `${AXIS[ua]} ${num(w[0][0])} … ${num(w[0][1])} ly (right), ${AXIS[va]} ${num(w[1][0])} … ${num(w[1][1])} ly (up)` +
      (state.slab > 0 ? `; ${axis} within ±${state.slab} ly` : "");
    const sun = document.querySelector(`#view-${axis} .sun`);
    const [sx, sy] = toPixel(axis, 0, 0);
    sun.style.display = sx >= 0 && sx <= SIZE && sy >= 0 && sy <= SIZE ? "block" : "none";
    sun.style.left = `${sx}px`;
    sun.style.top = `${sy}px`;
  }
  drawSelection();
}

function drawSelection() {
  const reg = regionBounds();
  for (const axis of Object.keys(VIEWS)) {
    const sel = document.querySelector(`#view-${axis} .sel`);
    if (!reg) { sel.style.display = "none"; continue; }
    const [ua, va] = VIEWS[axis];
    const [x0, y0] = toPixel(axis, reg[ua][0], reg[va][1]);
    const [x1, y1] = toPixel(axis, reg[ua][1], reg[va][0]);
    Object.assign(sel.style, { display: "block", left: `${x0}px`, top: `${y0}px`, width: `${x1 - x0}px`, height: `${y1 - y0}px` });
  }
}

function attachDrag(axis) {
  const view = $(`view-${axis}`);
  let start = null;
  const pos = (e) => {
    const r = view.getBoundingClientRect();
    return [Math.min(Math.max(e.clientX - r.left, 0), SIZE), Math.min(Math.max(e.clientY - r.top, 0), SIZE)];
  };
  view.addEventListener("mousedown", (e) => { start = pos(e); e.preventDefault(); });
  view.addEventListener("mousemove", (e) => {
    if (!start) return;
    const p = pos(e);
    const sel = view.querySelector(".sel");
    Object.assign(sel.style, {
      display: "block", left: `${Math.min(start[0], p[0])}px`, top: `${Math.min(start[1], p[1])}px`,
      width: `${Math.abs(p[0] - start[0])}px`, height: `${Math.abs(p[1] - start[1])}px`,
    });
  });
  window.addEventListener("mouseup", (e) => {
    if (!start) return;
    const p = pos(e);
    const s = start;
    start = null;
    if (Math.abs(p[0] - s[0]) < 3 || Math.abs(p[1] - s[1]) < 3) { drawSelection(); return; }
    const [ua, va] = VIEWS[axis];
    const a = toLy(axis, Math.min(s[0], p[0]), Math.max(s[1], p[1]));
    const b = toLy(axis, Math.max(s[0], p[0]), Math.min(s[1], p[1]));
    const [lo, hi] = summary.extent_ly;
    const box = regionBounds() || [[lo, hi], [lo, hi], [lo, hi]];
    const other = 3 - ua - va;
    if (!regionBounds() && state.slab > 0) box[other] = [-state.slab, state.slab];
    box[ua] = [a[0], b[0]];
    box[va] = [a[1], b[1]];
    state.box = box.map((r) => r.slice());
    state.sphere = null;
    state.star = null;
    $("found").textContent = "";
    update();
  });
}

// ---- 3-D views ----
async function drawOverview() {
  const o = await api("/api/overview?side=64");
  const Plotly = await plotly;
  const xs = [], ys = [], zs = [], cs = [];
  for (const [[x, y, z], c] of o.cells) { xs.push(x); ys.push(y); zs.push(z); cs.push(Math.log10(c)); }
  await Plotly.react("overview", [{
    type: "scatter3d", mode: "markers", x: xs, y: ys, z: zs,
    marker: { size: 2, color: cs, colorscale: "Viridis", opacity: 0.6, colorbar: { title: "log10 stars" } },
    hovertemplate: "%{x}, %{y}, %{z} ly<extra></extra>",
  }], {
    paper_bgcolor: "#1b1b1b", font: { color: "#ddd" }, margin: { l: 0, r: 0, t: 20, b: 0 },
    title: { text: `level ${o.level}: cells of ${num(o.cell_ly)} ly`, font: { size: 12 } },
    scene: { xaxis: { title: "x (ly)" }, yaxis: { title: "y (ly)" }, zaxis: { title: "z (ly)" }, aspectmode: "cube" },
  }, { displaylogo: false });
  window.explorer.overviewPoints = xs.length;
}

async function drawStars() {
  const Plotly = await plotly;
  let q = null;
  if (state.sphere) q = `sphere=${state.sphere.join(",")}`;
  else if (state.box) q = `box=${state.box.map((r) => r.join(":")).join(",")}`;
  if (!q) {
    $("region-info").textContent = " (drag a box on a map)";
    window.explorer.regionPoints = 0;
    window.explorer.regionCount = null;
    Plotly.purge("stars3d");
    return;
  }
  const r = await api(`/api/stars?${q}&limit=5000`);
  const s = r.stars;
  await Plotly.react("stars3d", [{
    type: "scatter3d", mode: "markers",
    x: s.map((t) => t.x), y: s.map((t) => t.y), z: s.map((t) => t.z),
    text: s.map((t) => `source_id ${t.source_id}, G ${t.mag}`),
    marker: { size: 2.5, color: s.map((t) => t.mag), colorscale: "Viridis", reversescale: true, colorbar: { title: "G mag" } },
  }], {
    paper_bgcolor: "#1b1b1b", font: { color: "#ddd" }, margin: { l: 0, r: 0, t: 10, b: 0 },
    scene: { xaxis: { title: "x (ly)" }, yaxis: { title: "y (ly)" }, zaxis: { title: "z (ly)" } },
  }, { displaylogo: false });
  $("region-info").textContent = `: ${fmt(r.count)} stars` + (r.omitted > 0 ? ` (${fmt(s.length)} shown)` : "");
  window.explorer.regionPoints = s.length;
  window.explorer.regionCount = r.count;
}

async function update() {
  saveUrl();
  drawMaps();
  try { showError(null); await drawStars(); } catch (e) { showError(e); }
}

async function findStar(id) {
  try {
    const s = await api(`/api/star?source_id=${encodeURIComponent(id)}`);
    // Gaia source_ids exceed 2^53: keep the digits asked for, not the parsed number.
    state.star = String(id);
    state.sphere = [s.x, s.y, s.z, Math.max(50, 4 * summary.grid.cell_ly)];
    state.box = null;
    $("found").textContent = `${state.star}: (${num(s.x)}, ${num(s.y)}, ${num(s.z)}) ly, ${num(s.distance_ly)} ly away, G ${s.mag === null ? "?" : num(s.mag)}`;
    $("search").value = state.star;
    await update();
  } catch (e) { showError(e); }
}

async function main() {
  loadUrl();
  try {
    summary = await api("/api/summary");
  } catch (e) { showError(e); return; }
  $("totals").textContent =
    `${fmt(summary.stars)} stars in ${fmt(summary.nonempty_cells)} non-empty cells of ${num(summary.grid.cell_ly)} ly, ` +
    `${fmt(summary.nonempty_chunks)} non-empty chunks of ${fmt(summary.nchunks)}; ` +
    `the cube spans ${num(summary.extent_ly[0])} … ${num(summary.extent_ly[1])} ly on every axis around the Sun.`;
  const slab = $("slab");
  slab.max = String(Math.ceil(summary.extent_ly[1]));
  slab.step = String(Math.max(1, summary.grid.cell_ly));
  slab.value = String(state.slab);
  const label = () => { $("slab-value").textContent = state.slab > 0 ? `${state.slab} ly` : "whole cube"; };
  label();
  slab.addEventListener("input", () => { state.slab = Number(slab.value); label(); });
  slab.addEventListener("change", () => { state.slab = Number(slab.value); label(); update(); });
  $("zoom").addEventListener("click", () => { state.zoom = true; update(); });
  $("reset").addEventListener("click", () => { state.zoom = false; update(); });
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); findStar($("search").value.trim()); });
  for (const axis of Object.keys(VIEWS)) attachDrag(axis);
  if (state.star) {
    $("search").value = state.star;
    await findStar(state.star);
  } else {
    await update();
  }
  try { await drawOverview(); } catch (e) { showError(e); }
  window.explorer.ready = true;
}

main();
