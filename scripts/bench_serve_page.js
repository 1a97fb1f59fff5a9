// Time to the first picture of `milkyway serve`'s page in headless Chromium: ROUNDS loads,
// each in a fresh browser context (empty cache), from the start of the navigation to the
// first density map drawn (`window.explorer.firstPicture`, the page's performance.now() at
// the map's load event) and to all three maps; optional screenshots of the last load.
// usage: node bench_serve_page.js BASE_URL ROUNDS [SCREENSHOT_DIR]
// (CHROMIUM names the browser binary; playwright-core is found through NODE_PATH)
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [base, roundsArg, shots] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);

(async () => {
  const exe = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => fs.existsSync(p));
  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"] });
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 950 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("response", (x) => { if (x.status() >= 400 && !x.url().endsWith("/favicon.ico")) errors.push(`${x.status()} ${x.url()}`); });
    const t0 = Date.now();
    await page.goto(base + "/");
    await page.waitForFunction(() => window.explorer && window.explorer.images >= 3, null, { timeout: 30000 });
    const wall = Date.now() - t0;
    const t = await page.evaluate(() => ({ first: window.explorer.firstPicture, all: window.explorer.allPictures }));
    await page.waitForFunction(() => window.explorer.ready, null, { timeout: 30000 });
    const ready = await page.evaluate(() => performance.now());
    if (errors.length) throw new Error("page errors: " + errors.join("; "));
    if (shots && r === rounds - 1) {
      fs.mkdirSync(shots, { recursive: true });
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, "bench-open.png") });
    }
    out.push({ first_ms: t.first, all_maps_ms: t.all, ready_ms: ready, wall_ms: wall });
    await ctx.close();
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
