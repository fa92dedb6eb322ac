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

test("the run list pages through runs, 100 at a time, and follows new runs", async ({ page }) => {
  // Dated 1990, these sort after the runs of every other test (which are dated now), so the last pages are theirs.
  const at = (second: number) => new Date(Date.UTC(1990, 0, 1, 0, 0, second)).toISOString();
  const ids = Array.from({ length: 150 }, (_, i) => writeRun({ name: `paged ${i}`, timestamp: at(100 + i) }));
  const range = page.getByTestId("run-range");
  const total = async () => Number((await range.textContent())!.match(/of ([\d,]+)$/)![1].replace(/,/g, ""));

  await openLive(page, "/");
  await expect(page.locator("tr.run")).toHaveCount(100);
  await expect(range).toHaveText(/^Runs 1–100 of [\d,]+$/);
  await expect.poll(total).toBeGreaterThanOrEqual(150);
  const before = await total();

  await page.getByRole("link", { name: "Oldest »" }).click();
  const pages = Math.ceil(before / 100);
  await expect(page).toHaveURL(new RegExp(`\\?page=${pages}$`));
  await expect(range).toHaveText(`Runs ${((pages - 1) * 100 + 1).toLocaleString("en-US")}–${before.toLocaleString("en-US")} of ${before.toLocaleString("en-US")}`);
  // Newest first: the page ends with the oldest run.
  await expect(page.locator("tr.run").last()).toHaveAttribute("data-run-id", ids[0]);
  await expect(page.locator(".pager .disabled", { hasText: "Older ›" })).toBeVisible();

  // A run older still, written now, is counted and listed live (it lands on the last page, or a new one).
  const oldest = writeRun({ name: "paged oldest", timestamp: at(0) });
  await expect.poll(total).toBe(before + 1);
  if (before % 100 !== 0) await expect(page.locator("tr.run").last()).toHaveAttribute("data-run-id", oldest);
  await expectNotReloaded(page);

  await page.getByRole("link", { name: "‹ Newer" }).click();
  // The first page's address is the list's own: `/`, no `?page=1`.
  await expect(page).toHaveURL(pages - 1 === 1 ? /127\.0\.0\.1:\d+\/$/ : new RegExp(`\\?page=${pages - 1}$`));
  await expect(page.locator("tr.run")).toHaveCount(100);
  await expect(page.locator(".pager .disabled", { hasText: "Older ›" })).toHaveCount(0);
});
