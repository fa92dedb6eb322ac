// Issue 15's browser targets for the compare page (scripts/bench-compare.sh): navigation → every run's curve
// drawn on the overlay, 10 runs × a 10⁶-point Solution1D (< 2 s) and 50 runs (< 4 s); four 1024² Solution2D on
// one scale with their difference maps (< 1 s). The time is taken inside
// the page: from the navigation's start to the moment the overlay canvas is marked drawn.
import { expect, test, type Page } from "@playwright/test";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function runIds(page: Page, bench = "compare"): Promise<string[]> {
  const response = await page.request.get(`/api/runs?limit=100&q=${encodeURIComponent(`meta.bench = "${bench}"`)}&sort=meta.k`);
  expect(response.status()).toBe(200);
  const body = await response.json();
  return (body.runs ?? body).map((r: { id: string }) => r.id);
}

test("navigation → all overlays drawn, 10 and 50 runs of 10⁶ points", async ({ page }) => {
  // Marks the moment the overlay canvas says it is drawn, in the page's own clock.
  await page.addInitScript(() => {
    const w = window as unknown as { __drawnAt?: number };
    new MutationObserver(() => {
      if (w.__drawnAt === undefined && document.querySelector('canvas[data-testid="overlay"][data-drawn="true"]')) {
        w.__drawnAt = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-drawn"] });
  });
  const ids = await runIds(page);
  expect(ids.length).toBe(50);
  for (const n of [10, 50]) {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto(`/compare?runs=${ids.slice(0, n).join(",")}`);
      const drawn = await page.waitForFunction(() => (window as unknown as { __drawnAt?: number }).__drawnAt, null, {
        timeout: 60_000,
      });
      // The first navigation warms the page cache and the WASM; it is not counted.
      if (i > 0) times.push(Number(await drawn.jsonValue()));
    }
    console.log(
      `${n} runs × 10⁶ points, navigation → overlay drawn: p50 ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (n=${times.length})`,
    );
  }
});

test("navigation → four 1024² fields on one scale and three difference maps drawn", async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __drawnAt?: number };
    new MutationObserver(() => {
      if (w.__drawnAt === undefined && document.querySelector('canvas[data-testid="fields"][data-drawn="true"]')) {
        w.__drawnAt = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-drawn"] });
  });
  const ids = await runIds(page, "fields");
  expect(ids.length).toBe(4);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    await page.goto(`/compare?runs=${ids.join(",")}`);
    const drawn = await page.waitForFunction(() => (window as unknown as { __drawnAt?: number }).__drawnAt, null, {
      timeout: 60_000,
    });
    if (i > 0) times.push(Number(await drawn.jsonValue()));
  }
  console.log(
    `4 × 1024² Solution2D on one scale + 3 difference maps, navigation → drawn: p50 ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (n=${times.length})`,
  );
});
