// blosc2 view: the page. Fetches only the cells the view shows (a step when zoomed out),
// draws them on a canvas, keeps the view in the URL (#array=...&ay=..&ax=..&pos=..&win=..).
"use strict";
const $ = (id) => document.getElementById(id);
const CMAPS = { // the same stops as the server's PNG colour maps (src/image.rs)
  viridis: [[68,1,84],[72,40,120],[62,74,137],[49,104,142],[38,130,142],[31,158,137],[53,183,121],[110,206,88],[181,222,43],[253,231,37]],
  magma: [[0,0,4],[28,16,68],[79,18,123],[129,37,129],[181,54,122],[229,80,100],[251,135,97],[254,194,135],[252,253,191]],
  gray: [[0,0,0],[255,255,255]],
  coolwarm: [[59,76,192],[141,176,254],[221,221,221],[244,154,123],[180,4,38]],
};
function lut(name) {
  const s = CMAPS[name] || CMAPS.viridis, out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255 * (s.length - 1), k = Math.min(Math.floor(x), s.length - 2), f = x - k;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(s[k][c] + (s[k + 1][c] - s[k][c]) * f);
  }
  return out;
}
const fmt = (v) => v === null || v === undefined ? "–" : (typeof v === "number" ? (Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString()) : String(v));
const bytes = (n) => n < 1024 ? n + " B" : n < 1 << 20 ? (n / 1024).toFixed(1) + " KiB" : n < 1 << 30 ? (n / (1 << 20)).toFixed(1) + " MiB" : (n / (1 << 30)).toFixed(2) + " GiB";

const S = { arrays: [], meta: null, ay: 0, ax: 1, pos: [], win: null, data: null, draws: 0, ctrl: null, statsCtrl: null, cmCtrl: null };

async function api(path, signal) {
  const r = await fetch(path, { signal });
  if (!r.ok) { let m = r.statusText; try { m = (await r.json()).error; } catch (e) {} throw new Error(m); }
  return r;
}
function status(msg, err) { const s = $("status"); s.textContent = msg; s.className = err ? "err" : ""; }

// ---- URL state ----
function readHash() { return new URLSearchParams(location.hash.slice(1)); }
function writeHash() {
  if (!S.meta) return;
  const p = new URLSearchParams();
  p.set("array", S.meta.name);
  const nd = S.meta.shape.length;
  if (nd >= 2) { p.set("ay", S.ay); p.set("ax", S.ax); }
  if (nd > 0) { p.set("pos", S.pos.join(",")); if (S.win) p.set("win", S.win.map((v) => Math.round(v)).join(",")); }
  if ($("field").value && !$("fieldrow").hidden) p.set("field", $("field").value);
  p.set("cmap", $("cmap").value);
  if (!$("auto").checked) { p.set("vmin", $("vmin").value); p.set("vmax", $("vmax").value); }
  if ($("reduce").value !== "stride") p.set("reduce", $("reduce").value);
  history.replaceState(null, "", "#" + p.toString());
}

// ---- arrays and metadata ----
async function init() {
  S.arrays = await (await api("/api/arrays")).json();
  const sel = $("arrays");
  for (const a of S.arrays) {
    const o = document.createElement("option");
    o.value = a.name; o.textContent = `${a.name}  (${a.shape.join("×") || "scalar"}, ${a.dtype.length > 12 ? "struct" : a.dtype})`;
    sel.appendChild(o);
  }
  if (!S.arrays.length) { status("no .b2nd or .b2frame files found", true); return; }
  const h = readHash();
  const start = S.arrays.some((a) => a.name === h.get("array")) ? h.get("array") : S.arrays[0].name;
  sel.value = start;
  sel.onchange = () => openArray(sel.value, null);
  await openArray(start, h);
}

async function openArray(name, h) {
  const t0 = performance.now();
  const m = await (await api("/api/meta?array=" + encodeURIComponent(name))).json();
  S.meta = m;
  const nd = m.shape.length;
  const rows = [["shape", m.shape.join(" × ") || "()"], ["dtype", m.dtype], ["chunks", m.chunks.join(" × ")], ["blocks", m.blocks.join(" × ")],
    ["codec", `${m.codec} (clevel ${m.clevel}${m.codec_meta ? ", meta " + m.codec_meta : ""})`],
    ["filters", m.filters.map((f) => f.name + (f.meta ? ":" + f.meta : "")).join(", ") || "none"],
    ["size", `${bytes(m.nbytes)} → ${bytes(m.cbytes)} (×${m.cratio.toFixed(2)})`],
    ["chunks", kinds(m)],
    ["metalayers", m.metalayers.join(", ") || "–"], ["vlmetalayers", m.vlmetalayers.join(", ") || "–"]];
  $("meta").innerHTML = "";
  for (const [k, v] of rows) { const tr = $("meta").insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; }
  if (!m.chunk_kinds.exact) recount(m, $("meta").rows[7].cells[1]);
  // Fields of a structured dtype.
  const fsel = $("field"); fsel.innerHTML = "";
  const numericFields = m.fields.filter((f) => f.numeric);
  $("fieldrow").hidden = !m.fields.length;
  for (const f of numericFields) { const o = document.createElement("option"); o.value = f.name; o.textContent = `${f.name} (${f.dtype})`; fsel.appendChild(o); }
  if (h && h.get("field")) fsel.value = h.get("field");
  // Axes and sliders.
  S.ay = nd >= 2 ? 0 : 0; S.ax = nd >= 2 ? 1 : 0;
  if (h && nd >= 2) {
    const ay = +h.get("ay"), ax = +h.get("ax");
    if (Number.isInteger(ay) && Number.isInteger(ax) && ay !== ax && ay < nd && ax < nd && h.has("ay")) { S.ay = ay; S.ax = ax; }
  }
  S.pos = m.shape.map(() => 0);
  if (h && h.get("pos")) { const p = h.get("pos").split(",").map(Number); if (p.length === nd && p.every((v, d) => v >= 0 && v < m.shape[d])) S.pos = p; }
  S.win = null;
  if (h && h.get("win")) { const w = h.get("win").split(",").map(Number); if (w.length === 4 && w.every(Number.isFinite)) S.win = w; }
  if (h) {
    if (h.get("cmap")) $("cmap").value = h.get("cmap");
    if (h.has("vmin")) { $("auto").checked = false; $("vmin").value = h.get("vmin"); $("vmax").value = h.get("vmax"); }
  }
  // Sparse arrays (mostly zero chunks) show their few non-zero cells through block maxima.
  $("reduce").value = h && h.get("reduce") ? h.get("reduce") : (m.sparse ? "max" : "stride");
  buildAxes();
  if (!S.win) resetWin();
  await draw();
  status(`${m.name}: first picture in ${Math.round(performance.now() - t0)} ms`);
  drawChunkMap();
}

// The chunk kinds; counted from the frame's offsets while the server reads every chunk
// header, then asked again until exact.
function kinds(m) {
  const ck = m.chunk_kinds;
  return Object.entries(ck).filter(([k, v]) => k !== "exact" && v).map(([k, v]) => `${v} ${k}`).join(", ") + ` of ${m.nchunks}` + (ck.exact ? "" : " (counting…)");
}
async function recount(m, cell) {
  await new Promise((r) => setTimeout(r, 1000));
  if (S.meta !== m) return;
  let n;
  try { n = await (await api("/api/meta?array=" + encodeURIComponent(m.name))).json(); } catch (e) { return; }
  if (S.meta !== m) return;
  m.chunk_kinds = n.chunk_kinds; cell.textContent = kinds(m);
  if (!n.chunk_kinds.exact) recount(m, cell);
}

function buildAxes() {
  const nd = S.meta.shape.length;
  $("axesrow").hidden = nd < 2;
  for (const id of ["ay", "ax"]) {
    const s = $(id); s.innerHTML = "";
    for (let d = 0; d < nd; d++) { const o = document.createElement("option"); o.value = d; o.textContent = `axis ${d} (${S.meta.shape[d]})`; s.appendChild(o); }
  }
  $("ay").value = S.ay; $("ax").value = S.ax;
  const box = $("sliders"); box.innerHTML = "";
  for (let d = 0; d < nd; d++) {
    if (nd >= 2 && (d === S.ay || d === S.ax)) continue;
    if (nd === 1) continue;
    const row = document.createElement("div"); row.className = "slider";
    const n = S.meta.shape[d];
    row.innerHTML = `<label>axis ${d}</label><input type="range" min="0" max="${n - 1}" value="${S.pos[d]}" data-axis="${d}" aria-label="axis ${d}"><input type="number" min="0" max="${n - 1}" value="${S.pos[d]}">`;
    const [r, num] = row.querySelectorAll("input");
    const set = (v) => { v = Math.max(0, Math.min(n - 1, Math.round(+v || 0))); S.pos[d] = v; r.value = v; num.value = v; draw(); drawChunkMap(); };
    r.oninput = () => set(r.value); num.onchange = () => set(num.value);
    box.appendChild(row);
  }
}

function extent() { // [rows, cols] of the plane shown
  const sh = S.meta.shape;
  if (sh.length === 0) return [1, 1];
  if (sh.length === 1) return [1, sh[0]];
  return [sh[S.ay], sh[S.ax]];
}
function resetWin() { const [h, w] = extent(); S.win = [0, h, 0, w]; }
function clampWin() {
  const [h, w] = extent();
  let [y0, y1, x0, x1] = S.win;
  const fix = (a, b, n) => { let len = Math.min(Math.max(b - a, 1), n); a = Math.max(0, Math.min(a, n - len)); return [a, a + len]; };
  [y0, y1] = fix(y0, y1, h); [x0, x1] = fix(x0, x1, w);
  S.win = [y0, y1, x0, x1];
}

// ---- the request of the current view ----
function request() {
  const m = S.meta, nd = m.shape.length, cv = $("plot");
  const W = Math.max(64, Math.min(1024, cv.clientWidth)), H = Math.max(64, Math.min(1024, cv.clientHeight));
  clampWin();
  const [y0, y1, x0, x1] = S.win.map(Math.round);
  const sy = Math.max(1, Math.ceil((y1 - y0) / H)), sx = Math.max(1, Math.ceil((x1 - x0) / (nd === 1 ? Math.max(W, 1024) : W)));
  const idx = [], step = [];
  for (let d = 0; d < nd; d++) {
    if (nd === 1) { idx.push(`${x0}:${x1}`); step.push(sx); }
    else if (d === S.ay) { idx.push(`${y0}:${y1}`); step.push(sy); }
    else if (d === S.ax) { idx.push(`${x0}:${x1}`); step.push(sx); }
    else { idx.push(String(S.pos[d])); step.push(1); }
  }
  let q = `array=${encodeURIComponent(m.name)}&index=${encodeURIComponent(idx.join(","))}`;
  if (nd) q += `&step=${step.join(",")}`;
  if (!$("fieldrow").hidden && $("field").value) q += `&field=${encodeURIComponent($("field").value)}`;
  const red = $("reduce").value;
  if (red !== "stride" && (sy > 1 || sx > 1)) q += "&reduce=" + red;
  return { q, y0, x0, sy, sx };
}

async function draw() {
  if (!S.meta) return;
  const m = S.meta;
  if (!m.numeric && !(m.fields || []).some((f) => f.numeric)) { status(`${m.dtype}: no numbers to draw (download the slice as .npy)`, true); }
  const req = request();
  $("download").href = `/api/slice?${req.q}&format=npy`;
  writeHash();
  if (S.ctrl) S.ctrl.abort();
  const ctrl = S.ctrl = new AbortController();
  let r;
  try { r = await api(`/api/slice?${req.q}&format=f32`, ctrl.signal); }
  catch (e) { if (e.name !== "AbortError") status(e.message, true); return; }
  const buf = await r.arrayBuffer();
  if (ctrl !== S.ctrl) return;
  const shape = (r.headers.get("x-shape") || "").split(",").filter((s) => s !== "").map(Number);
  const vals = new Float32Array(buf);
  // The result's dimensions are in array order: rows first only when ay < ax.
  let rows = 1, cols = vals.length, transposed = false;
  if (shape.length === 2) { if (m.shape.length >= 2 && S.ay > S.ax) { rows = shape[1]; cols = shape[0]; transposed = true; } else { rows = shape[0]; cols = shape[1]; } }
  S.data = { vals, rows, cols, transposed, ...req };
  render();
  const st = r.headers.get("x-stats");
  if (st) showStats(JSON.parse(st)); else fetchStats(req.q);
}

function limits(vals) {
  if (!$("auto").checked) { const lo = parseFloat($("vmin").value), hi = parseFloat($("vmax").value); if (Number.isFinite(lo) && Number.isFinite(hi)) return [lo, hi]; }
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo === Infinity) return [0, 1];
  if ($("auto").checked) { $("vmin").value = fmt(lo); $("vmax").value = fmt(hi); }
  return [lo, hi];
}
const at = (D, r, c) => D.transposed ? D.vals[c * D.rows + r] : D.vals[r * D.cols + c];

function render() {
  const D = S.data; if (!D) return;
  const cv = $("plot"), W = cv.clientWidth, H = cv.clientHeight;
  cv.width = W; cv.height = H;
  const g = cv.getContext("2d");
  g.fillStyle = "#0c0d10"; g.fillRect(0, 0, W, H);
  const [lo, hi] = limits(D.vals);
  const L = lut($("cmap").value);
  if (S.meta.shape.length === 1) { // line plot
    const n = D.cols, pad = 40;
    g.strokeStyle = "#2e323c"; g.strokeRect(pad, 10, W - pad - 10, H - pad - 10);
    g.strokeStyle = "#6cb6ff"; g.lineWidth = 1.5; g.beginPath();
    let started = false;
    for (let i = 0; i < n; i++) {
      const v = D.vals[i]; if (!Number.isFinite(v)) { started = false; continue; }
      const x = pad + (W - pad - 10) * (n === 1 ? 0.5 : i / (n - 1)), y = 10 + (H - pad - 10) * (1 - (v - lo) / ((hi - lo) || 1));
      if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
    }
    g.stroke();
    g.fillStyle = "#8b93a3"; g.font = "11px sans-serif";
    g.fillText(fmt(hi), 2, 18); g.fillText(fmt(lo), 2, H - pad);
    g.fillText(String(D.x0), pad, H - pad + 16); g.fillText(String(D.x0 + (n - 1) * D.sx), W - 60, H - pad + 16);
  } else {
    const img = new ImageData(D.cols, D.rows), px = img.data, span = (hi - lo) || 1;
    for (let r = 0; r < D.rows; r++) for (let c = 0; c < D.cols; c++) {
      const v = at(D, r, c), o = (r * D.cols + c) * 4;
      if (!Number.isFinite(v)) { px[o + 3] = 0; continue; }
      const k = Math.round(Math.min(1, Math.max(0, (v - lo) / span)) * 255) * 3;
      px[o] = L[k]; px[o + 1] = L[k + 1]; px[o + 2] = L[k + 2]; px[o + 3] = 255;
    }
    const off = document.createElement("canvas"); off.width = D.cols; off.height = D.rows;
    off.getContext("2d").putImageData(img, 0, 0);
    const [y0, y1, x0, x1] = S.win, sc = Math.min(W / (x1 - x0), H / (y1 - y0));
    const dw = (x1 - x0) * sc, dh = (y1 - y0) * sc;
    S.box = { ox: (W - dw) / 2, oy: (H - dh) / 2, sc };
    g.imageSmoothingEnabled = false;
    g.drawImage(off, S.box.ox, S.box.oy, D.cols * D.sx * sc, D.rows * D.sy * sc);
  }
  colorbar(lo, hi, L);
  S.draws++; document.body.dataset.draws = S.draws;
}

function colorbar(lo, hi, L) {
  const cv = $("cbar"), W = cv.clientWidth, H = cv.clientHeight;
  cv.width = W; cv.height = H;
  const g = cv.getContext("2d"), top = 10, bot = H - 10, bw = 16;
  for (let y = top; y < bot; y++) {
    const k = Math.round((1 - (y - top) / (bot - top)) * 255) * 3;
    g.fillStyle = `rgb(${L[k]},${L[k + 1]},${L[k + 2]})`; g.fillRect(0, y, bw, 1);
  }
  g.fillStyle = "#d9dde5"; g.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) { const y = top + (bot - top) * i / 4; g.fillText(fmt(hi - (hi - lo) * i / 4), bw + 4, y + 4); }
}

// ---- hover, zoom, pan ----
function cellAt(ev) {
  const D = S.data; if (!D || !S.box || S.meta.shape.length < 2) return null;
  const rc = $("plot").getBoundingClientRect();
  const x = S.win[2] + (ev.clientX - rc.left - S.box.ox) / S.box.sc, y = S.win[0] + (ev.clientY - rc.top - S.box.oy) / S.box.sc;
  return [y, x];
}
$("plot").addEventListener("mousemove", (ev) => {
  const D = S.data; if (!D) return;
  if (S.drag) {
    const dx = (ev.clientX - S.drag.x) / S.box.sc, dy = (ev.clientY - S.drag.y) / S.box.sc;
    const w = S.drag.win; S.win = [w[0] - dy, w[1] - dy, w[2] - dx, w[3] - dx]; clampWin(); S.panned = true; render2();
    return;
  }
  let idx, v;
  if (S.meta.shape.length === 1) {
    const rc = $("plot").getBoundingClientRect(), pad = 40, f = (ev.clientX - rc.left - pad) / (rc.width - pad - 10);
    const i = Math.round(f * (D.cols - 1)); if (i < 0 || i >= D.cols) return;
    idx = [D.x0 + i * D.sx]; v = D.vals[i];
  } else {
    const c = cellAt(ev); if (!c) return;
    const r = Math.floor((c[0] - D.y0) / D.sy), k = Math.floor((c[1] - D.x0) / D.sx);
    if (r < 0 || k < 0 || r >= D.rows || k >= D.cols) { status(""); return; }
    idx = S.pos.slice(); idx[S.ay] = D.y0 + r * D.sy; idx[S.ax] = D.x0 + k * D.sx; v = at(D, r, k);
    if (S.meta.shape.length === 0) idx = [];
  }
  const red = (D.q.match(/reduce=(\w+)/) || [])[1];
  const how = red ? ` (${red} of ${D.sy}×${D.sx})` : (D.sy > 1 || D.sx > 1 ? ` (step ${D.sy}×${D.sx})` : "");
  status(`[${idx.join(", ")}] = ${Number.isNaN(v) ? "nan" : fmt(v)}${how}`);
});
function render2() { // redraw the current picture at the new window, then fetch the cells
  render(); clearTimeout(S.t); S.t = setTimeout(() => { draw(); drawChunkMapBox(); }, 80);
}
$("plot").addEventListener("mousedown", (ev) => { S.drag = { x: ev.clientX, y: ev.clientY, win: S.win.slice() }; });
window.addEventListener("mouseup", () => { S.drag = null; });
function zoom(f, cy, cx) {
  const [y0, y1, x0, x1] = S.win;
  if (cy === undefined) { cy = (y0 + y1) / 2; cx = (x0 + x1) / 2; }
  S.win = [cy - (cy - y0) * f, cy + (y1 - cy) * f, cx - (cx - x0) * f, cx + (x1 - cx) * f];
  if (S.win[1] - S.win[0] < 4 || S.win[3] - S.win[2] < 4) { const h = Math.max(S.win[1] - S.win[0], 4) / 2, w = Math.max(S.win[3] - S.win[2], 4) / 2; S.win = [cy - h, cy + h, cx - w, cx + w]; }
  clampWin(); render2();
}
$("plot").addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const c = cellAt(ev) || [undefined, undefined];
  zoom(ev.deltaY < 0 ? 0.8 : 1.25, c[0], c[1]);
}, { passive: false });
$("zin").onclick = () => zoom(0.5); $("zout").onclick = () => zoom(2);
$("reset").onclick = () => { resetWin(); draw(); drawChunkMapBox(); };
for (const id of ["cmap", "auto", "vmin", "vmax"]) $(id).addEventListener("change", () => { if (id === "vmin" || id === "vmax") $("auto").checked = false; writeHash(); render(); });
$("reduce").onchange = () => draw();
$("field").onchange = () => draw();
for (const id of ["ay", "ax"]) $(id).onchange = () => {
  let ay = +$("ay").value, ax = +$("ax").value;
  if (ay === ax) { if (id === "ay") ax = S.ay === ay ? S.ax : S.ay; else ay = S.ax === ax ? S.ay : S.ax; }
  S.ay = ay; S.ax = ax; buildAxes(); resetWin(); draw(); drawChunkMap();
};
window.addEventListener("resize", () => { render(); });

// ---- statistics ----
function showStats(s) {
  const t = $("stats"); t.innerHTML = "";
  for (const k of ["count", "min", "max", "mean", "nonzero", "nan"]) { const tr = t.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = fmt(s[k]); }
}
async function fetchStats(q) {
  if (S.statsCtrl) S.statsCtrl.abort();
  const ctrl = S.statsCtrl = new AbortController();
  try {
    showStats(await (await api(`/api/stats?${q}`, ctrl.signal)).json());
  } catch (e) { if (e.name !== "AbortError") $("stats").innerHTML = `<tr><td class="err">${e.message}</td></tr>`; }
}

// ---- chunk map ----
const KIND_COLOURS = [null, "#3a3f4b", "#d16ba5", "#5a5a5a", "#e3a33b", "#ff0000"];
async function drawChunkMap() {
  const m = S.meta, nd = m.shape.length;
  if (S.cmCtrl) S.cmCtrl.abort();
  const ctrl = S.cmCtrl = new AbortController();
  const axes = nd >= 2 ? `${S.ay},${S.ax}` : nd === 1 ? "0" : "";
  let cm;
  try { cm = await (await api(`/api/chunkmap?array=${encodeURIComponent(m.name)}&axes=${axes}&at=${S.pos.join(",")}`, ctrl.signal)).json(); }
  catch (e) { if (e.name !== "AbortError") $("cminfo").textContent = e.message; return; }
  S.cm = cm; drawChunkMapBox();
}
function drawChunkMapBox() {
  const cm = S.cm; if (!cm) return;
  const [gr, gc] = cm.grid.length === 2 ? cm.grid : [1, cm.grid[0] || 1];
  const cv = $("chunkmap"), W = cv.clientWidth, sc = W / Math.max(gc, gr), H = Math.max(20, Math.round(gr * sc));
  cv.width = W; cv.height = H;
  const g = cv.getContext("2d");
  const stored = cm.cbytes.filter((_, i) => cm.kinds[i] === 0);
  const lmin = Math.log(Math.max(1, Math.min(...stored, Infinity))), lmax = Math.log(Math.max(1, ...stored, 1));
  const L = lut("viridis");
  const hh = cm.grid.length === 2 ? sc : H;
  for (let i = 0; i < cm.kinds.length; i++) {
    const r = cm.grid.length === 2 ? Math.floor(i / gc) : 0, c = cm.grid.length === 2 ? i % gc : i;
    if (cm.kinds[i] === 0) {
      const k = Math.round((lmax > lmin ? (Math.log(Math.max(1, cm.cbytes[i])) - lmin) / (lmax - lmin) : 1) * 255) * 3;
      g.fillStyle = `rgb(${L[k]},${L[k + 1]},${L[k + 2]})`;
    } else g.fillStyle = KIND_COLOURS[cm.kinds[i]];
    g.fillRect(c * sc, r * hh, Math.ceil(sc), Math.ceil(hh));
  }
  if (S.win && cm.chunks.length) { // the view's window
    const cr = cm.chunks.length === 2 ? cm.chunks[0] : 1, cc = cm.chunks[cm.chunks.length - 1];
    const [y0, y1, x0, x1] = S.win;
    g.strokeStyle = "#ffffff"; g.lineWidth = 1.5;
    if (cm.grid.length === 2) g.strokeRect(x0 / cc * sc, y0 / cr * sc, (x1 - x0) / cc * sc, (y1 - y0) / cr * sc);
    else g.strokeRect(x0 / cc * sc, 1, (x1 - x0) / cc * sc, H - 2);
  }
  const counts = {}; cm.kinds.forEach((k) => { counts[k] = (counts[k] || 0) + 1; });
  $("legend").innerHTML = cm.kind_names.map((n, k) => counts[k] ? `<span style="background:${k ? KIND_COLOURS[k] : "rgb(53,183,121)"}"></span>${n} ${counts[k]}` : "").join("");
  $("cminfo").textContent = `${cm.grid.join(" × ")} chunks of ${cm.chunks.join(" × ")}; stored: ${stored.length ? bytes(Math.min(...stored)) + " – " + bytes(Math.max(...stored)) : "none"} (colour: compressed size)`;
}

init().catch((e) => status(e.message, true));
