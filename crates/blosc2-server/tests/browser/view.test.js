// The viewer page in headless Chromium: open it, pick an array, move a slider, zoom; the
// drawn image changes, the URL keeps the view, a reload restores it; screenshots saved.
// usage: node view.test.js BASE_URL OUT_DIR   (CHROMIUM names the browser binary)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [base, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const fail = (msg) => { throw new Error(msg); };
const check = (cond, msg) => { if (!cond) fail(msg); };

(async () => {
  const exe = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => fs.existsSync(p));
  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1300, height: 820 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`); });
  const draws = () => page.evaluate(() => +(document.body.dataset.draws || 0));
  const pixels = () => page.evaluate(() => document.getElementById("plot").toDataURL());
  const hash = () => page.evaluate(() => new URLSearchParams(location.hash.slice(1)));
  const hashObj = async () => Object.fromEntries(await page.evaluate(() => [...new URLSearchParams(location.hash.slice(1))]));
  // Waits until the page has drawn the answer of its latest request.
  const settled = async (after) => {
    await page.waitForFunction((n) => +(document.body.dataset.draws || 0) > n, after, { timeout: 10000 });
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(150);
    await page.waitForLoadState("networkidle");
  };

  await page.goto(base + "/");
  await settled(0);
  await page.screenshot({ path: path.join(outDir, "01-first-array.png") });

  // Pick a 3-D array: a slider for the third axis appears.
  let n = await draws();
  await page.selectOption("#arrays", "f8_3d.b2nd");
  await settled(n);
  const a = await pixels();
  let h = await hashObj();
  check(h.array === "f8_3d.b2nd" && h.ay === "0" && h.ax === "1" && h.pos === "0,0,0", "hash after picking: " + JSON.stringify(h));
  const meta = await page.textContent("#meta");
  check(meta.includes("9 × 10 × 11") && meta.includes("<f8"), "metadata panel: " + meta);
  check((await page.$$("#chunkmap")).length === 1 && (await page.textContent("#cminfo")).includes("chunks of"), "chunk map");
  await page.screenshot({ path: path.join(outDir, "02-picked.png") });

  // Move the slider of axis 2.
  n = await draws();
  await page.$eval('input[type=range][data-axis="2"]', (r) => { r.value = 7; r.dispatchEvent(new Event("input")); });
  await settled(n);
  const b = await pixels();
  check(a !== b, "the image did not change with the slider");
  h = await hashObj();
  check(h.pos === "0,0,7", "hash after the slider: " + JSON.stringify(h));
  check((await page.textContent("#stats")).includes("count"), "statistics shown");

  // Zoom in: a smaller window, a different image.
  n = await draws();
  await page.click("#zin");
  await settled(n);
  const c = await pixels();
  check(c !== b, "the image did not change with the zoom");
  h = await hashObj();
  const win = h.win.split(",").map(Number);
  check(win[1] - win[0] < 9 && win[3] - win[2] < 10, "zoomed window: " + h.win);
  await page.screenshot({ path: path.join(outDir, "03-slider-zoom.png") });

  // Hover shows an index and a value.
  const box = await page.locator("#plot").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const st = await page.textContent("#status");
  check(/\[\d+, \d+, 7\] = -?\d/.test(st), "hover: " + st);

  // The download link asks for the same cells as .npy.
  const href = await page.getAttribute("#download", "href");
  check(href.includes("format=npy") && href.includes("array=f8_3d.b2nd"), "download: " + href);

  // A reload with the URL restores the view.
  const url = page.url();
  const page2 = await browser.newPage({ viewport: { width: 1300, height: 820 } });
  await page2.goto(url);
  await page2.waitForFunction(() => +(document.body.dataset.draws || 0) > 0);
  const h2 = await page2.evaluate(() => location.hash);
  check(h2 === new URL(url).hash, `restored hash ${h2} vs ${new URL(url).hash}`);
  check((await page2.inputValue('input[type=range][data-axis="2"]')) === "7", "restored slider");

  // A structured array: a field picker; a 1-D array: a line plot.
  n = await draws();
  await page.selectOption("#arrays", "sub/struct_2d.b2nd");
  await settled(n);
  check(!(await page.isHidden("#fieldrow")), "field picker shown");
  n = await draws();
  await page.selectOption("#field", "y");
  await settled(n);
  check((await hashObj()).field === "y", "field in the hash");
  await page.screenshot({ path: path.join(outDir, "04-structured.png") });
  n = await draws();
  await page.selectOption("#arrays", "f2_1d.b2nd");
  await settled(n);
  await page.screenshot({ path: path.join(outDir, "05-line.png") });
  n = await draws();
  await page.selectOption("#arrays", "zeros_f4.b2nd");
  await settled(n);
  await page.screenshot({ path: path.join(outDir, "06-special-chunks.png") });
  // Mostly special zero chunks: shown by block maxima, and the statistics come with the view.
  check((await page.inputValue("#reduce")) === "max", "sparse array default: " + (await page.inputValue("#reduce")));
  check((await page.textContent("#stats")).includes("nonzero"), "statistics of the sparse view");
  check(/\d+ zeros/.test(await page.textContent("#meta")), "chunk kinds: " + (await page.textContent("#meta")));

  // A plain super-chunk is a 1-D array; an 8-D array gets six sliders.
  n = await draws();
  await page.selectOption("#arrays", "plain_u4.b2frame");
  await settled(n);
  check((await page.textContent("#meta")).includes("10007"), "plain super-chunk metadata");
  n = await draws();
  await page.selectOption("#arrays", "u1_8d.b2nd");
  await settled(n);
  check((await page.$$("#sliders input[type=range]")).length === 6, "sliders of the 8-D array");

  check(errors.length === 0, "page errors: " + errors.join(" | "));
  await browser.close();
  console.log("ok: screenshots in " + outDir);
})().catch((e) => { console.error(e.message || e); process.exit(1); });
