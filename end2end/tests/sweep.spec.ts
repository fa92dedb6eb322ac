// The sweep grid (issue 15): a 3×3 sweep written by hand, one run failed → 9 cells, 8 thumbnails drawn and one
// marked failed; from a cell, `]` opens the run with the next value and the same other parameters.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { galleryShot } from "./support/page";
import { addResult, solution1d, writeRun } from "./support/storage";

test("a 3×3 sweep with one failed run: 9 cells, 8 drawn, 1 marked failed, and ] steps along a", async ({ page }) => {
  const sweep = `grid-${randomUUID().slice(0, 8)}`;
  const ids = new Map<string, string>();
  for (const a of [1, 2, 4]) {
    for (const b of [0.1, 0.2, 0.3]) {
      const failed = a === 2 && b === 0.3;
      // Each run also carries a value that differs from run to run, as a result would.
      const id = writeRun({
        name: `a=${a} b=${b}`,
        metadata: { a, b, sweep, seconds: Math.random() },
        status: failed ? "failed" : "completed",
      });
      if (!failed) {
        const [data, display] = solution1d(40, "u");
        addResult(id, "Solution1D", data, display);
      }
      ids.set(`${a},${b}`, id);
    }
  }
  const q = encodeURIComponent(`meta.sweep = "${sweep}"`);
  await page.goto(`/sweep?x=meta.a&y=meta.b&result=u&q=${q}`);
  const cells = page.getByTestId("sweep-cell");
  await expect(cells).toHaveCount(9);
  await expect(page.locator('canvas.thumbnail[data-drawn="true"]')).toHaveCount(8);
  const failed = page.locator('[data-testid="sweep-cell"][data-state="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText("failed");
  await expect(failed.locator("a")).toHaveAttribute("href", new RegExp(ids.get("2,0.3")!));
  await galleryShot(page.locator(".sweep"), "sweep-grid");

  // The cell a = 1, b = 0.2 opens its run ready to step along a; ] goes to a = 2 with b = 0.2, [ comes back.
  await page.locator(`[data-testid="sweep-cell"] a[href^="/run/${ids.get("1,0.2")}"]`).click();
  await expect(page).toHaveURL(`/run/${ids.get("1,0.2")}?step=a`);
  await expect(page.locator("h1")).toHaveText("a=1 b=0.2");
  await page.locator("h1").click();
  await page.keyboard.press("]");
  await expect(page).toHaveURL(`/run/${ids.get("2,0.2")}?step=a`);
  await expect(page.locator("h1")).toHaveText("a=2 b=0.2");
  await page.keyboard.press("]");
  await expect(page).toHaveURL(`/run/${ids.get("4,0.2")}?step=a`);
  await expect(page.locator("h1")).toHaveText("a=4 b=0.2");
  await page.keyboard.press("]");
  await expect(page.getByTestId("step-note")).toContainText("no run after this one along a");
  await page.keyboard.press("[");
  await expect(page).toHaveURL(`/run/${ids.get("2,0.2")}?step=a`);
  // Another key, chosen on the page: ] along b.
  await page.getByLabel("Key to step through").selectOption("b");
  await expect(page).toHaveURL(`/run/${ids.get("2,0.2")}?step=b`);
  await page.locator("h1").click();
  await page.keyboard.press("]");
  await expect(page).toHaveURL(`/run/${ids.get("2,0.3")}?step=b`);
});

test("a sweep shown as one value per cell, and a missing point left empty", async ({ page }) => {
  const sweep = `value-${randomUUID().slice(0, 8)}`;
  for (const [a, b, err] of [[1, 1, 0.5], [2, 1, 0.25], [1, 2, 0.125]]) {
    writeRun({ name: `a=${a} b=${b}`, metadata: { a, b, err, sweep }, status: "completed" });
  }
  const q = encodeURIComponent(`meta.sweep = "${sweep}"`);
  await page.goto(`/sweep?x=meta.a&y=meta.b&value=meta.err&q=${q}`);
  await expect(page.getByTestId("sweep-cell")).toHaveCount(4);
  await expect(page.locator('[data-testid="sweep-cell"][data-state="missing"]')).toHaveCount(1);
  await expect(page.locator(".sweep-grid .value")).toHaveText(["0.5", "0.25", "0.125"]);
  await expect(page.getByTestId("sweep-note")).toContainText("3 of 4 points have a run");
});
