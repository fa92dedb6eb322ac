// The dashboard against the real server: listing, drawing, live updates and deletion.
import { expect, test } from "@playwright/test";

import { canvasPixels, expectNotReloaded, openLive, resultCard, runRow } from "./support/page";
import { addResult, runExists, solution1d, writeRun } from "./support/storage";

const COMPUTED_RGB: [number, number, number] = [31, 119, 180];
const EXPECTED_RGB: [number, number, number] = [214, 39, 40];

test("the run list shows a run with its equation, circuit and result count", async ({ page }) => {
  const id = writeRun({ name: "Listed run", equation: "u_t = α u_xx", circuit: "H q0; CX q0 q1" });
  addResult(id, ...(["Solution1D", ...solution1d(20, "one")] as const));
  await page.goto("/");
  const row = runRow(page, id);
  await expect(row).toContainText("Listed run");
  await expect(row).toContainText("u_t = α u_xx");
  await expect(row).toContainText("H q0; CX q0 q1");
  await expect(row.getByTestId("result-count")).toHaveText("1");
  await expect(row).toContainText("running");
});

test("the run page draws a Solution1D on a canvas", async ({ page }) => {
  const id = writeRun({ name: "Drawn run" });
  const [data, display] = solution1d(500, "Standing wave");
  const result = addResult(id, "Solution1D", data, display);
  const arrays = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  await page.goto(`/run/${id}`);
  // The arrays travel in postcard's binary encoding, not as JSON text.
  const response = await arrays;
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("postcard");
  expect((await response.body()).byteLength).toBeLessThan(3 * 500 * 9 + 1024);
  const card = resultCard(page, result);
  await expect(card).toContainText("Standing wave");
  const canvas = card.locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  const computed = await canvasPixels(canvas, COMPUTED_RGB);
  const expected = await canvasPixels(canvas, EXPECTED_RGB);
  expect(computed.ink).toBeGreaterThan(2000);
  expect(computed.colour).toBeGreaterThan(200);
  expect(expected.colour).toBeGreaterThan(200);
});

test("a run written while the list is open appears without reload", async ({ page }) => {
  await openLive(page, "/");
  const id = writeRun({ name: "Arrived live", equation: "dx = -x dt" });
  await expect(runRow(page, id)).toContainText("Arrived live", { timeout: 5_000 });
  addResult(id, ...(["Solution1D", ...solution1d(10, "late")] as const));
  await expect(runRow(page, id).getByTestId("result-count")).toHaveText("1", { timeout: 5_000 });
  await expectNotReloaded(page);
});

test("a result added while the run page is open is drawn without reload", async ({ page }) => {
  const id = writeRun({ name: "Growing run" });
  const [data, display] = solution1d(100, "First");
  const first = addResult(id, "Solution1D", data, display);
  await openLive(page, `/run/${id}`);
  await expect(resultCard(page, first).locator('canvas[data-drawn="true"]')).toBeVisible();

  const [data2, display2] = solution1d(300, "Second");
  const second = addResult(id, "Solution1D", data2, display2);
  const canvas = resultCard(page, second).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible({ timeout: 5_000 });
  expect((await canvasPixels(canvas, COMPUTED_RGB)).colour).toBeGreaterThan(200);
  await expect(page.locator(".run-header").getByTestId("result-count")).toHaveText("2");
  await expectNotReloaded(page);
});

test("a result of a type without a plot is shown by the generic renderer", async ({ page }) => {
  const id = writeRun({ name: "Generic" });
  const result = addResult(id, "QuantumTomography", { values: [[1, 2, 3], [4, 5, 6]] }, { title: "Grid" });
  await page.goto(`/run/${id}`);
  const card = resultCard(page, result);
  await expect(card).toContainText("Grid");
  await expect(card.locator("table.fields")).toContainText("values");
  await expect(card.locator("table.fields")).toContainText("[2, 3]");
});

test("deleting a run asks first, then removes it", async ({ page }) => {
  const id = writeRun({ name: "Doomed run" });
  await openLive(page, `/run/${id}`);
  const button = page.getByRole("button", { name: "Delete run" });

  page.once("dialog", (dialog) => dialog.dismiss());
  await button.click();
  await page.waitForTimeout(300);
  expect(runExists(id)).toBe(true);

  page.once("dialog", (dialog) => {
    expect(dialog.type()).toBe("confirm");
    void dialog.accept();
  });
  await button.click();
  await expect(page).toHaveURL(/\/$/);
  await expect(runRow(page, id)).toHaveCount(0);
  expect(runExists(id)).toBe(false);
});
