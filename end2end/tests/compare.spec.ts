// The compare page (issue 15, first step): why the runs differ — the sentence, the metadata that differs, the
// equations and circuits against the baseline's — reached from the run list's selection.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { canvasPixels, galleryShot, openLive } from "./support/page";
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

test("runs B = A + 1 overlaid: both curves in their colours and a residual panel of B − A", async ({ page }) => {
  const sweep = `overlay-${randomUUID().slice(0, 8)}`;
  const n = 200;
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  const [a, b] = [0, 1].map((shift) => {
    const id = writeRun({ name: `shift ${shift}`, metadata: { shift, sweep }, status: "completed" });
    addResult(id, "Solution1D", { x, computed: x.map((v) => Math.sin(4 * v) + shift) }, { title: "u" });
    return id;
  });
  await page.goto(`/compare?runs=${a},${b}`);
  const canvas = page.locator('canvas[data-testid="overlay"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  await expect(canvas).toHaveAttribute("data-type", "Solution1D");
  const first = await canvasPixels(canvas, [31, 119, 180]);
  const second = await canvasPixels(canvas, [214, 39, 40]);
  expect(first.colour).toBeGreaterThan(300);
  expect(second.colour).toBeGreaterThan(300);
  await galleryShot(page.locator(".overlay-card"), "compare-overlay");
});

test("fifty runs overlaid: every one fetched reduced and drawn, no cap", async ({ page }) => {
  const sweep = `fifty-${randomUUID().slice(0, 8)}`;
  const ids: string[] = [];
  for (let k = 0; k < 50; k++) {
    const id = writeRun({ name: `k=${k}`, metadata: { k, sweep }, status: "completed" });
    const x = Array.from({ length: 100 }, (_, i) => i / 99);
    addResult(id, "OptimizationResult", { loss: x.map((v) => Math.exp(-5 * v) * (1 + k / 50)) }, { title: "training" });
    ids.push(id);
  }
  let fetched = 0;
  page.on("response", (r) => {
    if (r.url().includes("/_fn/result_view") && r.status() === 200) fetched++;
  });
  await page.goto(`/compare?runs=${ids.join(",")}`);
  await expect(page.getByTestId("compared-run")).toHaveCount(50);
  const canvas = page.locator('canvas[data-testid="overlay"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  expect(fetched).toBeGreaterThanOrEqual(50);
  expect((await canvasPixels(canvas, [31, 119, 180])).ink).toBeGreaterThan(3000);
});

test("fields B = A + 1: one colour bar spanning both, and the B − A map reads 1.000 under the pointer", async ({ page }) => {
  const sweep = `fields-${randomUUID().slice(0, 8)}`;
  const [nx, ny] = [24, 16];
  const a = Array.from({ length: ny }, (_, j) => Array.from({ length: nx }, (_, i) => Math.sin(i / 4) * Math.cos(j / 3)));
  const [ra, rb] = [0, 1].map((shift) => {
    const id = writeRun({ name: `field ${shift}`, metadata: { shift, sweep }, status: "completed" });
    addResult(id, "Solution2D", { values: a.map((row) => row.map((v) => v + shift)) }, { title: "T" });
    return id;
  });
  await page.goto(`/compare?runs=${ra},${rb}`);
  const canvas = page.locator('canvas[data-testid="fields"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  // One scale for both panels: from A's smallest value to B's largest.
  const values = a.flat();
  const [lo, hi] = (await canvas.getAttribute("data-scale"))!.split(",").map(Number);
  expect(lo).toBeCloseTo(Math.min(...values), 9);
  expect(hi).toBeCloseTo(Math.max(...values) + 1, 9);
  // Hover the middle of the difference map: every panel is read at that point, and B − A is 1.
  const [x0, y0, x1, y1] = (await canvas.getAttribute("data-difference"))!.split(",").map(Number);
  await canvas.hover({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 } });
  const readout = page.getByTestId("fields-readout");
  await expect(readout).toContainText("shift=1 − shift=0 = 1.000");
  await expect(readout).toContainText("shift=0 = ");
  await galleryShot(page.locator(".overlay-card"), "compare-fields");
});

test("animations on one timeline: play moves every panel, and scrubbing shows each run's frame at that time", async ({ page }) => {
  const sweep = `anim-${randomUUID().slice(0, 8)}`;
  // A: 20 frames at t = 0, 0.1, …; B: 10 frames at t = 0, 0.2, …: at t = 1.0, A shows frame 10 and B frame 5.
  const orbit = (frames: number, dt: number) => ({
    positions: Array.from({ length: frames }, (_, f) => [[Math.cos(f * dt), Math.sin(f * dt)]]),
    t: Array.from({ length: frames }, (_, f) => f * dt),
  });
  const [a, b] = [
    [20, 0.1],
    [10, 0.2],
  ].map(([frames, dt], k) => {
    const id = writeRun({ name: `orbit ${k}`, metadata: { dt, sweep }, status: "completed" });
    addResult(id, "PhysicsAnimation", orbit(frames, dt), { title: "orbit", fps: 20 });
    return id;
  });
  await page.goto(`/compare?runs=${a},${b}`);
  const canvas = page.locator('canvas[data-testid="timeline"][data-drawn="true"]');
  await expect(canvas).toHaveAttribute("data-frames", "0,0");
  const card = page.locator(".overlay-card").filter({ has: canvas });
  await card.getByRole("button", { name: "Play" }).click();
  await expect(canvas).not.toHaveAttribute("data-frame", "0");
  await card.getByRole("button", { name: "Pause" }).click();
  await card.locator("input.scrubber").evaluate((input: HTMLInputElement) => {
    input.value = "10";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await expect(canvas).toHaveAttribute("data-frames", "10,5");
  await expect(card).toContainText("frame 11 of 20 · t = 1.0000");
  await galleryShot(card, "compare-timeline");
});
