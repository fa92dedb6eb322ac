// The convergence study (issue 15): errors against grid size across runs, one order per method, fitted from the
// result statistics the monitor computes for runs written by hand, and refitted live as runs arrive.
import { expect, test, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { canvasPixels, galleryShot, openLive } from "./support/page";
import { addResult, writeRun } from "./support/storage";

/// A Solution1D on N + 1 points whose computed curve is off the expected one by at most `error` (at x = 1/2).
function solutionWithError(n: number, error: number): Record<string, number[]> {
  const x = Array.from({ length: n + 1 }, (_, i) => i / n);
  const expected = x.map((v) => Math.sin(Math.PI * v));
  return { x, expected, computed: expected.map((u) => u * (1 + error)) };
}

/// Writes one run of a study: grid size `n`, method `solver`, a result whose largest error is `error`.
function studyRun(study: string, solver: string, n: number, error: number): string {
  const id = writeRun({ name: `heat ${solver} N=${n}`, metadata: { N: n, solver, study }, status: "completed" });
  addResult(id, "Solution1D", solutionWithError(n, error), { title: "u(x, T)" });
  return id;
}

/// The order the page reports for a group, as a number.
async function orderOf(page: Page, group: string): Promise<number> {
  const text = await page.locator(`[data-testid="order"][data-group="${group}"]`).innerText();
  const found = /p = (-?[\d.]+)/.exec(text);
  if (!found) throw new Error(`no order in "${text}"`);
  return Number(found[1]);
}

test("grids 16…256 with error 3·h² read p = 2.00, Euler's 0.5·h reads 1.00, and the plot has ink", async ({ page }) => {
  const study = `study-${randomUUID().slice(0, 8)}`;
  for (const n of [16, 32, 64, 128, 256]) {
    studyRun(study, "crank_nicolson", n, 3 / (n * n));
    studyRun(study, "euler", n, 0.5 / n);
  }
  const q = encodeURIComponent(`meta.study = "${study}"`);
  await openLive(page, `/converge?x=meta.N&y=error.max&group=meta.solver&q=${q}`);
  // The statistics are computed by the monitor in the background: the page refits as they land.
  const orders = page.getByTestId("order");
  await expect(orders).toHaveCount(2);
  await expect(orders.first()).toContainText(/p = \d/);
  await expect(orders.last()).toContainText(/p = \d/);
  expect(Math.abs((await orderOf(page, "crank_nicolson")) - 2)).toBeLessThanOrEqual(0.05);
  expect(Math.abs((await orderOf(page, "euler")) - 1)).toBeLessThanOrEqual(0.05);
  await expect(page.getByTestId("reading")).toContainText("meta.N read as a resolution");
  await expect(page.getByTestId("study-point")).toHaveCount(10);
  const canvas = page.locator('canvas[data-testid="study-plot"][data-drawn="true"]');
  await expect(canvas).toBeVisible();
  const blue = await canvasPixels(canvas, [31, 119, 180]);
  const red = await canvasPixels(canvas, [214, 39, 40]);
  expect(blue.ink).toBeGreaterThan(3000);
  expect(blue.colour).toBeGreaterThan(100);
  expect(red.colour).toBeGreaterThan(100);
  await galleryShot(page.locator(".converge"), "converge");

  // A finer run arriving while the page is open joins its series without a reload.
  studyRun(study, "crank_nicolson", 512, 3 / (512 * 512));
  await expect(page.getByTestId("study-point")).toHaveCount(11);
  await expect(page.locator('[data-testid="order"][data-group="crank_nicolson"]')).toContainText("6 runs");
});

test("a solution value without an exact answer is extrapolated, and a bad field says what was expected", async ({ page }) => {
  const study = `value-${randomUUID().slice(0, 8)}`;
  // φ(N) = 1 + 0.3/N²: Richardson over the three finest grids finds p = 2 and φ_ext = 1.
  for (const n of [8, 16, 32, 64]) {
    writeRun({ name: `value N=${n}`, metadata: { N: n, phi: 1 + 0.3 / (n * n), study }, status: "completed" });
  }
  const q = encodeURIComponent(`meta.study = "${study}"`);
  await page.goto(`/converge?x=meta.N&y=meta.phi&q=${q}`);
  const order = page.getByTestId("order");
  await expect(order).toContainText("p = 2.00 (Richardson");
  await expect(order).toContainText("extrapolated 1,");
  await expect(page.locator('canvas[data-testid="study-plot"][data-drawn="true"]')).toBeVisible();

  await page.goto(`/converge?x=meta.N&y=error..max`);
  await expect(page.getByTestId("converge-error")).toContainText("in `y`");
  // Without fields: the form and a hint, no error.
  await page.goto(`/converge`);
  await expect(page.getByTestId("converge-hint")).toBeVisible();
  await expect(page.getByTestId("study-form")).toBeVisible();
});
