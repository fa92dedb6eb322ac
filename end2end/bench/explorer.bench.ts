// Issue 14's browser targets, measured in Chromium on a large storage: a keystroke in the query bar → the list
// redrawn (p50 < 150 ms), and a run written by another process → visible in an open filtered list (p50 < 100 ms).
// Times are taken inside the page (the keystroke's `keydown` to the DOM change that shows the new list), and for
// writes from just before the file's rename to the row's appearance (one clock: the same machine).
import { expect, test, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const storage = process.env.ASGARD_BENCH_STORAGE!;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(name: string, values: number[]): void {
  const f = (v: number) => v.toFixed(1);
  console.log(
    `${name}: n=${values.length} p50 ${f(percentile(values, 50))} ms, p90 ${f(percentile(values, 90))} ms, max ${f(Math.max(...values))} ms`,
  );
}

async function total(page: Page, q: string): Promise<number> {
  const response = await page.request.get(`/api/runs?limit=1&q=${encodeURIComponent(q)}`);
  expect(response.status()).toBe(200);
  return Number(response.headers()["x-total-count"]);
}

/// Starts timing at the next keydown; resolves when the pager reads "of {expected}" (or "No run matches").
async function arm(page: Page, expected: number): Promise<void> {
  await page.evaluate((expected) => {
    const w = window as unknown as { __done: Promise<number> };
    const text = expected === 0 ? "No run matches" : `of ${expected.toLocaleString("en-US")}`;
    w.__done = new Promise<number>((resolve) => {
      let t0 = 0;
      addEventListener("keydown", () => (t0 = performance.now()), { once: true, capture: true });
      const check = () => {
        const shown = document.querySelector('[data-testid="run-range"]')?.textContent ?? "";
        const none = document.querySelector('[data-testid="no-match"]')?.textContent ?? "";
        if (t0 && (shown.endsWith(text) || none.includes(text))) {
          observer.disconnect();
          resolve(performance.now() - t0);
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, expected);
}

test("keystroke in the query bar → the list redrawn", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator('[data-live="connected"]')).toBeVisible();
  const bar = page.getByTestId("query");
  const times: number[] = [];
  // `meta.seed < 3`, `< 30`, `< 300`, …: each keystroke changes which runs match and how many — on a small
  // storage not always (`< 20000` and `< 200000` both match all 1,003): such a keystroke has nothing to time, and
  // the next is typed once the address holds its query.
  let shown = -1;
  for (let round = 0; round < 3; round++) {
    for (const first of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) {
      await bar.fill("meta.seed < ");
      let q = "meta.seed < ";
      for (const ch of [first, "0", "0", "0", "0"]) {
        q += ch;
        const expected = await total(page, q);
        if (expected === shown) {
          await bar.press(ch);
          await page.waitForFunction((q) => new URLSearchParams(location.search).get("q") === q, q);
          continue;
        }
        await arm(page, expected);
        await bar.press(ch);
        times.push(await page.evaluate(() => (window as unknown as { __done: Promise<number> }).__done));
        shown = expected;
      }
    }
  }
  report(`keystroke → list redrawn (${await total(page, "")} runs)`, times);
});

test("a run written by another process → visible in an open filtered list", async ({ page }) => {
  const sweep = `live-${randomUUID().slice(0, 8)}`;
  await page.goto(`/?q=${encodeURIComponent(`meta.sweep = "${sweep}"`)}`);
  await expect(page.locator('[data-live="connected"]')).toBeVisible();
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    new MutationObserver(() => {
      for (const row of document.querySelectorAll("tr.run[data-run-id]")) {
        const id = row.getAttribute("data-run-id")!;
        if (!(id in seen)) seen[id] = Date.now();
      }
    }).observe(document.body, { subtree: true, childList: true });
  });
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const id = randomUUID();
    const file = path.join(storage, "runs", `${id}.json`);
    const tmp = path.join(storage, "runs", `.tmp-${id}`);
    writeFileSync(
      tmp,
      JSON.stringify({
        id, name: `live ${i}`, timestamp: new Date().toISOString(), equation: null, circuit: null,
        status: "completed", metadata: { sweep }, results: [],
      }),
    );
    const written = Date.now();
    renameSync(tmp, file);
    await expect(page.locator(`tr.run[data-run-id="${id}"]`)).toBeVisible();
    const seen = await page.evaluate((id) => (window as unknown as { __seen: Record<string, number> }).__seen[id], id);
    times.push(seen - written);
    await page.waitForTimeout(100);
  }
  report(`write → visible in a filtered list (${await total(page, "")} runs)`, times);
});
