// Everyday data in real Chromium: the storage tests/fixtures/everyday.py writes with plain NumPy and `json` (NaN
// and Infinity, every dtype, damaged arrays, 500-character names), served by a monitor of its own. Every page is
// visited with an ear on the console: any error or panic fails the test.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test, type Page } from "@playwright/test";

import { openLive, resultCard, runRow } from "./support/page";
import { startAsgard, type Asgard } from "./support/process";
import { addResult, runExists, solution1d } from "./support/storage";

const FIXTURES = path.resolve(__dirname, "../../tests/fixtures/everyday");

interface Run {
  id: string;
  name: string;
}

let asgard: Asgard;
let root: string;
let runs: Run[];

test.beforeAll(async ({ request }) => {
  root = path.join(mkdtempSync(path.join(tmpdir(), "asgard-everyday-")), "storage");
  cpSync(FIXTURES, root, { recursive: true });
  asgard = await startAsgard(["monitor", "--storage", root, "--port", "0"]);
  runs = await (await request.get(`${asgard.url}api/runs`)).json();
});

test.afterAll(async () => {
  await asgard?.stop();
});

const run = (prefix: string): Run => {
  const found = runs.find((r) => r.name.startsWith(prefix));
  if (!found) throw new Error(`no run named ${prefix}…`);
  return found;
};

/// Collects console errors and uncaught page errors (a WASM panic is one) from here on.
function listen(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
  return errors;
}

/// Every card on the page has settled: drawn, or showing its problem.
async function expectEveryCardSettled(page: Page, count: number): Promise<void> {
  const cards = page.locator("section.result");
  await expect(cards).toHaveCount(count);
  for (const card of await cards.all()) {
    await expect(card.locator('canvas[data-drawn="true"], p.problem, table.fields').first()).toBeVisible();
  }
}

const card = (page: Page, title: string) => page.locator("section.result").filter({ has: page.getByRole("heading", { name: title, exact: true }) });

test("every page of the hostile fixtures hydrates without an error", async ({ page }) => {
  const errors = listen(page);
  await openLive(page, asgard.url);
  await expect(page.locator("tr.run")).toHaveCount(5);
  for (const r of runs) {
    await page.goto(`${asgard.url}run/${r.id}`);
    await expect(page.locator('[data-live="connected"]')).toBeVisible();
    await expect(page.locator(".run-header")).toBeVisible();
  }
  await expect(page.locator("#asgard-panic")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("NaN and Infinity written by Python's json are drawn, and counted as not drawn", async ({ page }) => {
  const errors = listen(page);
  await openLive(page, `${asgard.url}run/${run("diverging solver").id}`);
  await expectEveryCardSettled(page, 3);
  const solution = card(page, "computed with NaN and ±Infinity");
  await expect(solution.locator('canvas[data-drawn="true"]')).toBeVisible();
  await expect(solution.getByTestId("skipped")).toHaveText("3 NaN or infinite values not drawn");
  const loss = card(page, "a loss that blows up");
  await expect(loss.locator('canvas[data-drawn="true"]')).toBeVisible();
  await expect(loss.getByTestId("skipped")).toContainText("NaN or infinite values not drawn");
  await expect(card(page, "scalars of an unknown type").locator("table.fields")).toContainText("final_loss");
  await page.locator("details.metadata summary").click();
  await expect(page.locator("details.metadata pre")).toContainText('"final_loss":NaN');
  await expect(page.locator("details.metadata pre")).toContainText('"upper_bound":Infinity');
  expect(errors).toEqual([]);
});

test("arrays of every NumPy dtype, either byte order, are drawn", async ({ page }) => {
  const errors = listen(page);
  await openLive(page, `${asgard.url}run/${run("every NumPy dtype").id}`);
  await expectEveryCardSettled(page, 22);
  await expect(page.locator('section.result canvas[data-drawn="true"]')).toHaveCount(22);
  await expect(page.locator("section.result p.problem")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a damaged array shows its error in its own card; the rest of the page keeps working", async ({ page }) => {
  const errors = listen(page);
  const damaged = run("damaged arrays");
  await openLive(page, `${asgard.url}run/${damaged.id}`);
  await expectEveryCardSettled(page, 11);
  for (const title of ["healthy", "healthy after the damage"]) {
    await expect(card(page, title).locator('canvas[data-drawn="true"]')).toBeVisible();
  }
  const problems: [string, string][] = [
    ["truncated file", "needs 8000 bytes of data, the file holds 80"],
    ["forged header", "needs 8000000000000 bytes of data"],
    ["missing file", "_computed.npy is missing"],
    ["wrong shape", "expected shape [n] with n = 50 (from `x`), found [49]"],
    ["complex values", "complex numbers"],
    ["text values", "found <U3 (text"],
    ["unknown dtype", "found <x9"],
    ["not a .npy file", "not a .npy file"],
    ["no values, 10¹² columns", "a dimension of 1000000000000"],
  ];
  for (const [title, message] of problems) {
    await expect(card(page, title).locator("p.problem")).toContainText(message);
  }

  // Live updates still arrive: a result written now is drawn without a reload.
  const [data, display] = solution1d(40, "arrived after the damage");
  const added = addResult(damaged.id, "Solution1D", data, display, root);
  await expect(resultCard(page, added).locator('canvas[data-drawn="true"]')).toBeVisible();
  await expect(page.getByTestId("result-count")).toHaveText("12");

  expect(errors).toEqual([]);

  // And the buttons work: the run can be deleted. (Requests in flight while its files go may fail; the page
  // must not.)
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Delete run" }).click();
  await expect(page).toHaveURL(asgard.url);
  await expect(runRow(page, damaged.id)).toHaveCount(0);
  expect(runExists(damaged.id, root)).toBe(false);
  expect(errors.filter((e) => e.startsWith("page:"))).toEqual([]);
  await expect(page.locator("#asgard-panic")).toHaveCount(0);
});

for (const width of [1280, 800]) {
  test(`a 500-character name leaves every column of the run list on screen at ${width} px`, async ({ page }) => {
    const errors = listen(page);
    await page.setViewportSize({ width, height: 900 });
    await openLive(page, asgard.url);
    const long = run("NavierStokes");
    const rows = [runRow(page, long.id), runRow(page, run("an ordinary run").id)];
    const headers = page.locator("table.runs thead th");
    await expect(headers).toHaveCount(6);
    for (const cell of [...(await headers.all()), ...(await rows[0].locator("td").all()), ...(await rows[1].locator("td").all())]) {
      const box = (await cell.boundingBox())!;
      expect(box.width).toBeGreaterThan(20);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    }
    // The started, results and status columns show their whole text.
    await expect(rows[0].getByTestId("result-count")).toBeInViewport({ ratio: 1 });
    await expect(rows[0].locator(".status")).toBeInViewport({ ratio: 1 });
    // Cut, with the whole text on hover.
    const name = rows[0].locator("td.name a");
    await expect(name).toHaveAttribute("title", long.name);
    expect((await name.boundingBox())!.height).toBeLessThan(60);
    await expect(rows[0].locator("td.equation code")).toHaveAttribute("title", /^u_t=(u_xx\+){99}$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

    // The run page: the name, equation, circuit and a long result title wrap inside the window.
    await page.goto(`${asgard.url}run/${long.id}`);
    await expect(page.locator('section.result canvas[data-drawn="true"]')).toBeVisible();
    for (const part of [page.locator(".run-header h1"), page.locator(".facts code"), page.locator("section.result h2")]) {
      const box = (await part.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    }
    await expect(page.getByRole("button", { name: "Delete run" })).toBeInViewport({ ratio: 1 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    expect(errors).toEqual([]);
  });
}

test("if the browser code ever panics, the page says so and how to recover", async ({ page }) => {
  const errors = listen(page);
  await openLive(page, asgard.url);
  await expect(page.locator("#asgard-panic")).toHaveCount(0);
  await page.evaluate(async () => {
    const wasm = await import("/pkg/asgard.js");
    try {
      wasm.asgard_panic_for_test("a test panic");
    } catch {
      // The panic surfaces as a trap; the notice is what the page shows.
    }
  });
  const notice = page.locator("#asgard-panic");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("This page stopped working");
  await expect(notice.getByRole("link", { name: "Reload the page" })).toHaveAttribute("href", asgard.url);
  await notice.locator("summary").click();
  await expect(notice.locator("pre")).toContainText("a test panic");
  expect(errors.join("\n")).toContain("a test panic");
});
