// The run list's query bar: the address holds the query, the rows follow it, live.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { expectNotReloaded, openLive, runRow } from "./support/page";
import { writeRun } from "./support/storage";

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
  await expect(page.getByTestId("query-error")).toHaveText("stauts");
  await expect(page.getByTestId("query")).toHaveValue("stauts = failed");

  await page.getByTestId("query").fill("status = failed");
  await expect(problem).toHaveCount(0);
  await expect(runRow(page, id)).toBeVisible();

  await page.getByTestId("query").fill("status = failed AND (meta.dt < 1e-2");
  await expect(problem).toContainText("expected `)`");

  await page.getByTestId("query").fill("no-such-run-anywhere-" + randomUUID());
  await expect(page.getByTestId("no-match")).toBeVisible();
  expect(failed).toEqual([]);
});
