// The compare page (issue 15, first step): why the runs differ — the sentence, the metadata that differs, the
// equations and circuits against the baseline's — reached from the run list's selection.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { galleryShot, openLive } from "./support/page";
import { addResult, solution1d, writeRun } from "./support/storage";

test("two runs that differ in one constant: one highlighted metadata row and one highlighted circuit line", async ({ page }) => {
  const sweep = `compare-${randomUUID().slice(0, 8)}`;
  const circuit = (theta: number) => `h q0\nrz(${theta}) q0\ncx q0 q1\nmeasure q0\n`;
  const [a, b] = [0.001, 0.0005].map((dt) =>
    writeRun({
      name: `heat dt=${dt}`,
      equation: "u_t = 0.5*u_xx",
      circuit: circuit(dt),
      metadata: { dt, solver: "rk4", grid: { n: 64 }, sweep },
      status: "completed",
    }),
  );
  const [data, display] = solution1d(50, "temperature");
  addResult(a, "Solution1D", data, display);

  // From the run list: select both, follow "Compare".
  await openLive(page, `/?q=${encodeURIComponent(`meta.sweep = "${sweep}"`)}&sort=-meta.dt`);
  await expect(page.locator("tr.run")).toHaveCount(2);
  await page.locator("h1").click();
  await page.keyboard.press("j");
  await expect(page.locator("tr.run.cursor")).toHaveAttribute("data-run-id", a);
  await page.keyboard.press("x");
  await page.keyboard.press("j");
  await expect(page.locator("tr.run.cursor")).toHaveAttribute("data-run-id", b);
  await page.keyboard.press("x");
  await expect(page.getByTestId("selection")).toContainText("2 selected");
  await page.getByTestId("compare").click();
  await expect(page).toHaveURL(`/compare?runs=${a},${b}`);

  await expect(page.getByTestId("why")).toHaveText(
    "meta.dt 0.001 → 0.0005; equation identical; circuit: 1 line differs",
  );
  await expect(page.getByTestId("compared-run")).toHaveText([/dt=0\.001/, /dt=0\.0005/]);
  await expect(page.getByTestId("baseline")).toHaveCount(1);
  // Only the differing key, until every key is asked for; then still exactly one highlighted.
  const rows = page.getByTestId("meta-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator("th")).toHaveText("dt");
  await expect(rows.first()).toContainText("(-5e-4)");
  await page.getByTestId("show-all-keys").check();
  await expect(rows).toHaveCount(4);
  await expect(page.locator("tr.differs")).toHaveCount(1);
  // The circuit: one line only the second run has, one only the baseline has.
  const circuitDiff = page.getByTestId("circuit-diff");
  await expect(circuitDiff.locator(".line.added")).toHaveText(["rz(0.0005) q0"]);
  await expect(circuitDiff.locator(".line.removed")).toHaveText(["rz(0.001) q0"]);
  await expect(circuitDiff.locator(".line.same")).toHaveCount(3);
  await expect(page.getByTestId("equation-diff")).toContainText("identical");
  // The result only the first run has is listed as not shared.
  await expect(page.getByTestId("matched-result")).toHaveCount(1);
  await expect(page.locator("tr.unmatched")).toContainText("Solution1D temperature");
  await galleryShot(page.locator(".compare"), "compare-why");

  // The other run as the baseline: the sentence turns round.
  await page.getByRole("link", { name: "make baseline" }).click();
  await expect(page).toHaveURL(`/compare?runs=${a},${b}&baseline=${b}`);
  await expect(page.getByTestId("why")).toHaveText(/^meta\.dt 0\.0005 → 0\.001;/);
});

test("a comparison that cannot be made says why", async ({ page }) => {
  const a = writeRun({ name: "alone" });
  await page.goto(`/compare?runs=${a}`);
  await expect(page.getByTestId("compare-error")).toContainText("at least two");
  await page.goto(`/compare?runs=${a},${randomUUID()}`);
  await expect(page.getByTestId("compare-error")).toContainText("no run with id");
});
