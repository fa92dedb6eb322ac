// Tags, a note and a star, edited on the run page: kept in the run's file, shown in the run list, queryable.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { openLive, runRow } from "./support/page";
import { readRun, writeRun } from "./support/storage";

test("a tag, note and star edited on the run page survive a reload, are in the run's file and can be queried", async ({ page }) => {
  const tag = `tag-${randomUUID().slice(0, 8)}`;
  const id = writeRun({ name: `annotated ${tag}`, status: "completed" });
  await openLive(page, `/run/${id}`);

  const input = page.getByTestId("tag-input");
  await input.fill(`  ${tag}  `);
  await input.press("Enter");
  await expect(page.getByTestId("tag")).toHaveText([`${tag}×`]);
  await input.fill("second");
  await input.press("Enter");
  await expect(page.getByTestId("tag")).toHaveCount(2);
  await page.getByTestId("star").click();
  await expect(page.getByTestId("star")).toHaveAttribute("aria-pressed", "true");
  await page.locator(".annotations .note summary").click();
  await page.getByTestId("note").fill("converges at order 2");
  await page.getByTestId("save-note").click();
  await expect(page.locator(".annotations .note")).toContainText("Saved");

  // In the run's file, trimmed, as any other tool reads it.
  await expect.poll(() => readRun(id).note).toBe("converges at order 2");
  const file = readRun(id);
  expect(file.tags).toEqual([tag, "second"]);
  expect(file.starred).toBe(true);

  // A reload shows what the file says.
  await page.reload();
  await expect(page.getByTestId("tag")).toHaveText([`${tag}×`, "second×"]);
  await expect(page.getByTestId("star")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("note")).toHaveValue("converges at order 2");

  // Removing a tag keeps the other.
  await page.getByRole("button", { name: "Remove tag second" }).click();
  await expect(page.getByTestId("tag")).toHaveText([`${tag}×`]);
  await expect.poll(() => readRun(id).tags).toEqual([tag]);

  // The run list shows the star and tag, and a query finds the run by them.
  await page.goto(`/?q=${encodeURIComponent(`tag = ${tag} AND starred = true`)}`);
  await expect(page.locator("tr.run")).toHaveCount(1);
  await expect(runRow(page, id).getByTestId("row-tag")).toHaveText([tag]);
  await expect(runRow(page, id).locator(".star")).toBeVisible();
});

test("a tag that is too long is refused with the reason, and nothing changes", async ({ page }) => {
  const id = writeRun({ name: `refused ${randomUUID()}` });
  await openLive(page, `/run/${id}`);
  // The input stops at 64 characters; a request from a program is checked the same way on the server.
  const response = await page.request.patch(`/api/run?id=${id}`, { data: { add_tags: ["x".repeat(65)] } });
  expect(response.status()).toBe(400);
  expect((await response.json()).error).toContain("longer than 64 characters");
  expect(readRun(id).tags).toBeUndefined();
});
