// Browser figure of the benchmark: from navigation to the drawn canvas of a run page holding a Solution1D of
// 10 million points, in headless Chromium. Usage (scripts/bench.sh runs it):
//   node perf/huge-series.mjs http://127.0.0.1:PORT RUN_ID RESULT_ID [repeats]
import { chromium } from "@playwright/test";

const [base, run, result, repeats = "5"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const times = [];
for (let i = 0; i < Number(repeats); i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const started = Date.now();
  await page.goto(`${base}/run/${run}`);
  await page.locator(`section.result[data-result-id="${result}"] canvas[data-drawn="true"]`).waitFor({ timeout: 60_000 });
  times.push(Date.now() - started);
  await page.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ p50_ms: times[Math.floor(times.length / 2)], all_ms: times }));
