// The page of `milkyway serve` in headless Chromium: wait for the overview, move the slab
// slider, drag a region, search a star, check what is drawn and the URL; a reload of the
// saved URL shows the same view; screenshots saved.
// usage: node serve.test.js BASE_URL OUT_DIR   (CHROMIUM names the browser binary;
// playwright-core is found through NODE_PATH)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [base, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const check = (cond, msg) => { if (!cond) throw new Error(msg); };

(async () => {
  const exe = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => fs.existsSync(p));
  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 950 } });
  const errors = [];
  const watch = (p) => {
    p.on("pageerror", (e) => errors.push(String(e)));
    p.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
    p.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`); });
  };
  watch(page);
  const explorer = (p = page) => p.evaluate(() => window.explorer);
  const hash = (p = page) => p.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.slice(1))));
  const api = (p, url) => p.evaluate((u) => fetch(u).then((r) => r.json()), url);
  const scatterPoints = (p, id) => p.evaluate((i) => { const d = document.getElementById(i).data; return d && d[0] ? d[0].x.length : 0; }, id);
  const settle = async (p = page) => { await p.waitForLoadState("networkidle"); await p.waitForTimeout(200); };

  // Open: totals in words, three maps, the overview drawn.
  const t0 = Date.now();
  await page.goto(base + "/");
  await page.waitForFunction(() => window.explorer && window.explorer.images >= 1, null, { timeout: 10000 });
  const firstPicture = Date.now() - t0;
  await page.waitForFunction(() => window.explorer.ready && window.explorer.images >= 3, null, { timeout: 20000 });
  await settle();
  const summary = await api(page, "/api/summary");
  const totals = await page.textContent("#totals");
  check(totals.includes(summary.stars.toLocaleString("en-US") + " stars"), "totals: " + totals);
  check(totals.includes("non-empty cells") && totals.includes("non-empty chunks"), "totals: " + totals);
  const ov = await api(page, "/api/overview?side=64");
  check((await explorer()).overviewPoints === ov.cells.length, "overview points");
  check((await scatterPoints(page, "overview")) === ov.cells.length, "overview scatter points");
  await page.screenshot({ path: path.join(outDir, "01-open.png") });

  // Slab slider: the maps are asked for the slab, the URL keeps it.
  let images = (await explorer()).images;
  await page.$eval("#slab", (s) => { s.value = "2000"; s.dispatchEvent(new Event("input")); s.dispatchEvent(new Event("change")); });
  await page.waitForFunction((n) => window.explorer.images >= n + 3, images, { timeout: 10000 });
  await settle();
  check((await hash()).slab === "2000", "hash after slab: " + JSON.stringify(await hash()));
  const srcs = await page.$$eval(".view img", (a) => a.map((i) => i.src));
  check(srcs.every((s) => s.includes("slab=-2000:2000")), "map sources: " + srcs);
  check((await page.textContent("#slab-value")).includes("2000"), "slab label");
  await page.screenshot({ path: path.join(outDir, "02-slab.png") });

  // Drag a region on the top map: the stars of the box drawn in 3-D, the count shown.
  const box = await (await page.$("#view-z")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => window.explorer.regionCount !== null, null, { timeout: 10000 });
  await settle();
  const h = await hash();
  check(h.box && h.box.split(",").length === 3, "hash after drag: " + JSON.stringify(h));
  const zr = h.box.split(",")[2].split(":").map(Number);
  check(zr[0] === -2000 && zr[1] === 2000, "the box keeps the slab along z: " + h.box);
  const want = await api(page, `/api/stars?box=${h.box}&limit=5000`);
  const ex = await explorer();
  check(ex.regionCount === want.count && want.count > 0, `region count ${ex.regionCount} != ${want.count}`);
  check(ex.regionPoints === want.stars.length && (await scatterPoints(page, "stars3d")) === want.stars.length, "region points");
  check((await page.textContent("#region-info")).includes(want.count.toLocaleString("en-US") + " stars"), "region info");
  await page.screenshot({ path: path.join(outDir, "03-region.png") });

  // Search a star: its sphere drawn, the URL names it.
  // (source_ids exceed 2^53: read the digits from the JSON text)
  const raw = await page.evaluate((u) => fetch(u).then((r) => r.text()), `/api/stars?box=${h.box}&limit=1`);
  const id = raw.match(/"source_id":(\d+)/)[1];
  await page.fill("#search", id);
  await page.press("#search", "Enter");
  await page.waitForFunction((i) => new URLSearchParams(location.hash.slice(1)).get("star") === i, id, { timeout: 10000 });
  await settle();
  check((await page.textContent("#found")).includes(id), "found text");
  const hs = await hash();
  check(hs.sphere && !hs.box, "hash after search: " + JSON.stringify(hs));
  const near = await api(page, `/api/stars?sphere=${hs.sphere}&limit=5000`);
  check((await explorer()).regionCount === near.count && near.count >= 1, "sphere count");
  await page.$eval("#zoom", (b) => b.click());
  await settle();
  check((await hash()).zoom === "1", "zoom in the URL");
  await page.screenshot({ path: path.join(outDir, "04-star.png") });

  // A reload of the saved URL shows the same view.
  const url = page.url();
  const again = await browser.newPage({ viewport: { width: 1100, height: 950 } });
  watch(again);
  await again.goto(url);
  await again.waitForFunction(() => window.explorer && window.explorer.ready && window.explorer.images >= 3, null, { timeout: 20000 });
  await settle(again);
  check(JSON.stringify(await hash(again)) === JSON.stringify(await hash()), "hash after reload");
  check((await again.textContent("#found")) === (await page.textContent("#found")), "found text after reload");
  check((await explorer(again)).regionCount === near.count, "region after reload");
  const srcA = await page.$$eval(".view img", (a) => a.map((i) => i.src));
  const srcB = await again.$$eval(".view img", (a) => a.map((i) => i.src));
  check(JSON.stringify(srcA) === JSON.stringify(srcB), "maps after reload");
  await again.screenshot({ path: path.join(outDir, "05-reloaded.png") });

  check(errors.length === 0, "page errors: " + errors.join("; "));
  console.log(`first picture ${firstPicture} ms, ${ov.cells.length} overview cells, region ${want.count} stars`);
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
