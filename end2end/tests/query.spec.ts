// The run list's query bar: the address holds the query, the rows follow it, live.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { expectNotReloaded, galleryShot, openLive, runRow } from "./support/page";
import { addResult, readRun, storage, writeRun } from "./support/storage";

test("a query typed in the bar goes into the address, keeps the matching runs, survives a reload and stays live", async ({ page }) => {
  // A sweep of its own, told apart from every other test's runs by a metadata key.
  const sweep = `sweep-${randomUUID().slice(0, 8)}`;
  const [coarse, medium, fine] = [1e-2, 1e-3, 1e-4].map((dt) =>
    writeRun({ name: `heat dt=${dt}`, metadata: { dt, sweep }, status: dt === 1e-3 ? "failed" : "completed" }),
  );
  await openLive(page, "/");
  const bar = page.getByTestId("query");
  const query = `meta.sweep = "${sweep}" AND meta.dt < 5e-3`;
  await bar.fill(query);
  await expect(page).toHaveURL(/\?q=meta\.sweep%20%3D%20%22sweep-/);
  await expect(page.locator("tr.run")).toHaveCount(2);
  await expect(runRow(page, medium)).toBeVisible();
  await expect(runRow(page, fine)).toBeVisible();
  await expect(runRow(page, coarse)).toHaveCount(0);
  await expect(page.getByTestId("run-range")).toHaveText("Runs 1–2 of 2");

  // A run written by another process appears only if it matches.
  const finer = writeRun({ name: "heat dt=1e-5", metadata: { dt: 1e-5, sweep } });
  const coarser = writeRun({ name: "heat dt=1", metadata: { dt: 1, sweep } });
  await expect(runRow(page, finer)).toBeVisible({ timeout: 5_000 });
  await expect(page.locator("tr.run")).toHaveCount(3);
  await expect(runRow(page, coarser)).toHaveCount(0);
  await expectNotReloaded(page);

  // The address is the view: a reload shows the same query and rows.
  await page.reload();
  await expect(bar).toHaveValue(query);
  await expect(page.locator("tr.run")).toHaveCount(3);

  // Another query: OR and NOT, through the same bar.
  await bar.fill(`meta.sweep = "${sweep}" AND (status = failed OR meta.dt > 0.5)`);
  await expect(page.locator("tr.run")).toHaveCount(2);
  await expect(runRow(page, medium)).toBeVisible();
  await expect(runRow(page, coarser)).toBeVisible();
});

test("a malformed query is explained, its mistake underlined in place, and mending it shows the runs", async ({ page }) => {
  const id = writeRun({ name: `failed ${randomUUID()}`, status: "failed" });
  // A mistake in a query is the user's typing, not a failed request (which the console would show as an error).
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto("/?q=stauts%20%3D%20failed");
  const problem = page.getByTestId("query-problem");
  await expect(problem).toContainText("unknown field `stauts`: did you mean `status`");
  await expect(page.getByTestId("query")).toHaveValue("stauts = failed");
  // In the bar itself: the same word, under the text as typed (the backdrop lines up with the input's text).
  const underline = page.getByTestId("query-underline");
  await expect(underline).toHaveText("stauts");
  const [mark, input] = [await underline.boundingBox(), await page.getByTestId("query").boundingBox()];
  expect(mark!.x).toBeGreaterThan(input!.x);
  expect(mark!.x).toBeLessThan(input!.x + 20);
  expect(mark!.y + mark!.height).toBeLessThanOrEqual(input!.y + input!.height);

  await page.getByTestId("query").fill("status = failed");
  await expect(problem).toHaveCount(0);
  await expect(underline).toHaveCount(0);
  await expect(runRow(page, id)).toBeVisible();

  await page.getByTestId("query").fill("status = failed AND (meta.dt < 1e-2");
  await expect(problem).toContainText("expected `)`");

  await page.getByTestId("query").fill("no-such-run-anywhere-" + randomUUID());
  await expect(page.getByTestId("no-match")).toBeVisible();
  expect(failed).toEqual([]);
});

test("columns, sort by header, grouping and the CSV export follow the address and hold exactly the filtered runs", async ({ page }) => {
  const sweep = `sweep-${randomUUID().slice(0, 8)}`;
  const spec: [string, number, number][] = [
    ["rk4", 1e-3, 0.5],
    ["rk4", 1e-4, 1.5],
    ["euler", 1e-3, 4],
    ["euler", 1e-4, 8],
    ["euler", 1e-5, 12],
  ];
  const ids = spec.map(([solver, dt, error]) =>
    writeRun({ name: `${solver} dt=${dt}`, metadata: { solver, dt, error, sweep, same: "x" }, status: "completed" }),
  );
  writeRun({ name: "another sweep", metadata: { solver: "rk4", dt: 1, error: 0, sweep: "other" } });

  // Columns chosen in the picker go into the address.
  await openLive(page, `/?q=${encodeURIComponent(`meta.sweep = "${sweep}"`)}`);
  await expect(page.locator("tr.run")).toHaveCount(5);
  await page.getByTestId("columns").click();
  for (const field of ["meta.error", "meta.same"]) {
    await page.locator(`input[data-field="${field}"]`).check();
    await expect(page.locator(`th[data-field="${field}"]`)).toBeVisible();
  }
  await expect(page).toHaveURL(/cols=meta\.error%2Cmeta\.same/);
  await page.getByTestId("columns").click(); // closes the picker

  // "Varying only" hides the column that is the same in every run.
  await page.getByTestId("varying").check();
  await expect(page.locator('th[data-field="meta.same"]')).toHaveCount(0);
  await expect(page.locator('th[data-field="meta.error"]')).toBeVisible();

  // A click on a header sorts by it, a second click the other way; numbers as numbers (12 after 8).
  await page.locator('th[data-field="meta.error"] button').click();
  await expect(page).toHaveURL(/sort=meta\.error/);
  await expect(page.locator('th[data-field="meta.error"]')).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByTestId("cell")).toHaveText(["0.5", "1.5", "4", "8", "12"]);
  await page.locator('th[data-field="meta.error"] button').click();
  await expect(page.getByTestId("cell")).toHaveText(["12", "8", "4", "1.5", "0.5"]);

  // Group by solver: each group's count and the mean of its numbers, computed over every matching run.
  await page.getByTestId("group-by").fill("meta.solver");
  await page.getByTestId("group-by").press("Enter");
  await expect(page).toHaveURL(/group=meta\.solver/);
  const groups = page.getByTestId("group");
  await expect(groups).toHaveCount(2);
  await expect(groups.getByTestId("group-value")).toHaveText(["euler", "rk4"]);
  await expect(groups.getByTestId("group-count")).toHaveText([" 3 runs", " 2 runs"]);
  await expect(groups.nth(0).locator(".stats")).toHaveText("mean 8 · 4 … 12");
  await expect(groups.nth(1).locator(".stats")).toHaveText("mean 1 · 0.5 … 1.5");
  await galleryShot(page.locator("main"), "run-explorer");

  // A group folds and unfolds; the address is the view, so a reload shows the same table.
  await groups.nth(0).getByRole("button").click();
  await expect(page.locator("tr.run:visible")).toHaveCount(2);
  await groups.nth(0).getByRole("button").click();
  await expect(page.locator("tr.run:visible")).toHaveCount(5);
  await page.reload();
  await expect(page.getByTestId("group")).toHaveCount(2);
  await expect(page.getByTestId("cell")).toHaveText(["12", "8", "4", "1.5", "0.5"]);
  await expect(page.getByTestId("varying")).toBeChecked();

  // The CSV export holds exactly the filtered runs, in the list's order, with the chosen columns.
  const href = await page.getByTestId("export-csv").getAttribute("href");
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  const lines = (await response.text()).trim().split("\n");
  expect(lines[0]).toBe("id,name,created,status,results,tags,starred,note,meta.error,meta.same");
  expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual([ids[4], ids[3], ids[2], ids[1], ids[0]]);
});

test("a view saved under a name is in the storage, listed for everyone after a reload, and opens the same list", async ({ page }) => {
  const sweep = `sweep-${randomUUID().slice(0, 8)}`;
  const name = `view ${sweep}`;
  writeRun({ name: "saved a", metadata: { sweep, dt: 1 } });
  writeRun({ name: "saved b", metadata: { sweep, dt: 2 } });
  const address = `/?q=${encodeURIComponent(`meta.sweep = "${sweep}"`)}&sort=-meta.dt&cols=meta.dt`;
  await openLive(page, address);
  await expect(page.locator("tr.run")).toHaveCount(2);
  page.once("dialog", (dialog) => dialog.accept(name));
  await page.getByTestId("views").click();
  await page.getByTestId("save-view").click();
  const saved = page.getByTestId("saved-view").filter({ hasText: name });
  await expect(saved).toHaveCount(1);

  // In the storage, for every viewer of it: a fresh page (another user) lists it, and it opens the same view.
  const file = readdirSync(path.join(storage(), "views"))
    .map((f) => JSON.parse(readFileSync(path.join(storage(), "views", f), "utf8")))
    .find((v) => v.name === name);
  expect(file).toMatchObject({ q: `meta.sweep = "${sweep}"`, sort: "-meta.dt", cols: "meta.dt" });
  await page.goto("/");
  await page.getByTestId("views").click();
  await page.getByTestId("saved-view").filter({ hasText: name }).getByRole("link").click();
  await expect(page.getByTestId("cell")).toHaveText(["2", "1"]);
  const params = new URL(page.url()).searchParams;
  expect([params.get("q"), params.get("sort"), params.get("cols")]).toEqual([`meta.sweep = "${sweep}"`, "-meta.dt", "meta.dt"]);
});

test("keys move, select and open runs; arrivals show as N new and in the title without moving the selection", async ({ page }) => {
  const sweep = `sweep-${randomUUID().slice(0, 8)}`;
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const ids = [0, 1, 2].map((i) => writeRun({ name: `keyed ${i}`, metadata: { sweep }, timestamp: at(i) }));
  // The view counts arrivals from when it opens: open it once the server holds the three runs, or a slow
  // watcher makes them arrive after it and they count as new.
  const q = encodeURIComponent(`meta.sweep = "${sweep}"`);
  await expect
    .poll(async () => (await page.request.get(`/api/runs?q=${q}`)).headers()["x-total-count"], { timeout: 10_000 })
    .toBe("3");
  await openLive(page, `/?q=${q}`);
  await expect(page.locator("tr.run")).toHaveCount(3);

  // `/` focuses the query; keys typed there are the query's, not the list's.
  await page.locator("h1").click();
  await page.keyboard.press("/");
  await expect(page.getByTestId("query")).toBeFocused();
  await page.locator("h1").click();

  // Newest first: j goes to ids[2], then ids[1]; x selects; k goes back up; x selects that one too.
  await page.keyboard.press("j");
  await expect(page.locator("tr.run.cursor")).toHaveAttribute("data-run-id", ids[2]);
  await page.keyboard.press("j");
  await expect(page.locator("tr.run.cursor")).toHaveAttribute("data-run-id", ids[1]);
  await page.keyboard.press("x");
  await page.keyboard.press("k");
  await page.keyboard.press("x");
  await expect(page.getByTestId("selection")).toContainText("2 selected");
  await expect(page.getByTestId("compare")).toHaveAttribute("href", `/compare?runs=${ids[1]},${ids[2]}`);
  await page.keyboard.press("?");
  await expect(page.getByTestId("key-help")).toContainText("open the run");

  // A matching run written now is counted as new, in the bar and the title; one that does not match is not.
  // The selection and the cursor stay where they were.
  const title = await page.title();
  writeRun({ name: "not this sweep", metadata: { sweep: "other" } });
  writeRun({ name: "keyed new", metadata: { sweep } });
  await expect(page.getByTestId("new-runs")).toHaveText("1 new run ↑", { timeout: 5_000 });
  await expect(page).toHaveTitle(`(1 new) ${title}`);
  await expect(page.locator("tr.run")).toHaveCount(4);
  await expect(page.locator("tr.run.selected")).toHaveCount(2);
  await expect(page.getByTestId("selection")).toContainText("2 selected");
  await expect(page.locator("tr.run.cursor")).toHaveAttribute("data-run-id", ids[2]);
  await page.getByTestId("new-runs").click();
  await expect(page.getByTestId("new-runs")).toHaveCount(0);
  await expect(page).toHaveTitle(title);

  // Enter opens the run under the cursor.
  await page.locator("h1").click();
  await page.keyboard.press("j");
  const first = await page.locator("tr.run.cursor").getAttribute("data-run-id");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/run/${first}$`));
});

test("results written by any tool get their statistics in the background: a query on error.max finds them live, sorted, as a column", async ({ page }) => {
  const sweep = `stats-${randomUUID().slice(0, 8)}`;
  await openLive(page, `/?q=${encodeURIComponent(`meta.sweep = "${sweep}" AND error.max < 0.01`)}&sort=error.max&cols=error.max`);
  await expect(page.locator("tr.run")).toHaveCount(0);
  // Plain JSON, as another tool writes it: no statistics in the files. The monitor computes them.
  const written: Record<string, string> = {};
  for (const [name, error] of [["close", 0.002], ["far", 0.5], ["closest", 0.0004]] as [string, number][]) {
    const id = writeRun({ name, metadata: { sweep }, status: "completed" });
    addResult(id, "Solution1D", { x: [0, 0.5, 1], computed: [1, 2 + error, 3], expected: [1, 2, 3] }, { title: "u" });
    written[name] = id;
  }
  await expect(page.locator("tr.run")).toHaveCount(2);
  await expect(page.locator("tr.run .name")).toHaveText([/^\s*closest/, /^\s*close(?!st)/]);
  // The column picker offers the statistics some run has.
  await page.getByTestId("columns").click();
  await expect(page.locator('input[data-field="error.max"]')).toBeChecked();
  await expect(page.locator('input[data-field="error.rms"]')).not.toBeChecked();
  await page.getByTestId("columns").click();
  // Six significant digits, without float noise; the tooltip holds the number as computed.
  await expect(page.getByTestId("cell")).toHaveText(["0.0004", "0.002"]);
  expect(Number(await page.getByTestId("cell").first().getAttribute("title"))).toBeCloseTo(0.0004, 12);
  // Kept by the monitor, not written into the run's file: a writer adding results without the run's lock (as
  // this test's helper does) would lose them while the monitor rewrote the file.
  expect(readRun(written.far).stats).toBeUndefined();
  expect(readRun(written.far).results).toHaveLength(1);
  // And on the run's page, under the result's heading.
  await page.goto(`/run/${written.far}`);
  await expect(page.getByTestId("result-stats")).toHaveText(/error\.max\s*0\.5\s*error\.rms\s*0\.288675/);
});

test("the query bar suggests fields present in the storage and their most frequent values, taken with the keys", async ({ page }) => {
  const key = `sugg${randomUUID().slice(0, 6)}`;
  for (const [i, solver] of ["rk4", "rk4", "rk4", "crank nicolson", "euler"].entries()) {
    writeRun({ name: `suggested ${i}`, metadata: { [key]: solver }, status: "completed" });
  }
  await openLive(page, "/");
  const bar = page.getByTestId("query");
  await bar.click();
  // A metadata key is suggested by its own name too, with how many runs have it.
  await bar.pressSequentially(key.slice(0, 7));
  const suggestions = page.getByTestId("suggestion");
  await expect(suggestions).toHaveCount(1);
  await expect(suggestions.first()).toContainText(`meta.${key}`);
  await expect(suggestions.first()).toContainText("5 runs");
  await bar.press("Tab");
  await expect(bar).toHaveValue(`meta.${key} `);
  // After `=`: the field's values, most frequent first, quoted where a query needs quotes.
  await bar.pressSequentially("= ");
  await expect(suggestions).toHaveText([/^rk4\s*3 runs/, /^"crank nicolson"\s*1 run$/, /^euler\s*1 run$/]);
  await bar.press("ArrowDown");
  await bar.press("ArrowDown");
  await expect(suggestions.nth(1)).toHaveAttribute("aria-selected", "true");
  await bar.press("Enter");
  await expect(bar).toHaveValue(`meta.${key} = "crank nicolson" `);
  await expect(page).toHaveURL(new RegExp(`q=meta\\.${key}`));
  await expect(page.locator("tr.run")).toHaveCount(1);
  await expect(page.locator("tr.run .name")).toHaveText(/suggested 3/);
  // Escape closes the list; a click on a suggestion takes it.
  await bar.pressSequentially("AND has(Sol");
  await expect(suggestions).toHaveText([/^Solution1D\)/, /^Solution2D\)/]);
  await bar.press("Escape");
  await expect(suggestions).toHaveCount(0);
  await expect(bar).toHaveValue(`meta.${key} = "crank nicolson" AND has(Sol`);
  await bar.press("Backspace");
  await suggestions.nth(1).click();
  await expect(bar).toHaveValue(`meta.${key} = "crank nicolson" AND has(Solution2D) `);
  await expect(page.getByTestId("no-match")).toBeVisible();
});

test("scrolling goes through every page without a click: three pages at most, the row in view kept in place", async ({ page }) => {
  const sweep = `scroll-${randomUUID().slice(0, 8)}`;
  const base = Date.now() - 3_600_000;
  for (let i = 0; i < 350; i++) {
    const name = `scrolled ${String(i).padStart(3, "0")}`;
    writeRun({ name, metadata: { sweep }, timestamp: new Date(base + i * 1000).toISOString(), status: "completed" });
  }
  await openLive(page, `/?q=${encodeURIComponent(`meta.sweep = "${sweep}"`)}`);
  const rows = page.locator("tr.run");
  const range = page.getByTestId("run-range");
  await expect(range).toHaveText("Runs 1–100 of 350");
  const toBottom = () => page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  // Near the end, the next page comes below: no click, and the total is always shown.
  await toBottom();
  await expect(range).toHaveText("Runs 1–200 of 350");
  await toBottom();
  await expect(rows).toHaveCount(300);
  await expect(range).toHaveText("Runs 1–300 of 350");
  // A full window moves down a page: the first leaves, and the rows in view stay in view.
  await toBottom();
  await expect(range).toHaveText("Runs 101–350 of 350");
  await expect(page).toHaveURL(/page=2/);
  await expect(rows).toHaveCount(250);
  await expect
    .poll(async () =>
      page.evaluate(() => {
        const row = document.elementFromPoint(innerWidth / 2, innerHeight / 2)?.closest("tr.run");
        return Number(row?.querySelector(".name")?.textContent?.match(/scrolled (\d+)/)?.[1] ?? -1);
      }),
    )
    .toBeGreaterThan(35);
  // And back up near its top: the window moves up again.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(range).toHaveText("Runs 1–300 of 350");
  await expect(page).not.toHaveURL(/page=2/);
});
