// The compare page (issue 15, first step): why the runs differ — the sentence, the metadata that differs, the
// equations and circuits against the baseline's — reached from the run list's selection.
import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

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
  const boxes = await panelBoxes(canvas);
  expect(boxes.map((b) => b.kind)).toEqual(["run", "run", "difference"]);
  const middle = (b: Box, fx = 0.5, fy = 0.5) => ({ x: b.x0 + (b.x1 - b.x0) * fx, y: b.y0 + (b.y1 - b.y0) * fy });
  await canvas.hover({ position: middle(boxes[2]) });
  const readout = page.getByTestId("fields-readout");
  await expect(readout).toContainText("shift=1 − shift=0 = 1.000");
  await expect(readout).toContainText("shift=0 = ");
  // A crosshair in every panel, each at the same place within its panel.
  const crosshairs = page.getByTestId("crosshair");
  await expect(crosshairs).toHaveCount(3);
  const lefts = await crosshairs.evaluateAll((els) => els.map((e) => parseFloat((e as HTMLElement).style.left)));
  lefts.forEach((left, k) => {
    expect(left).toBeGreaterThan(boxes[k].x0);
    expect(left).toBeLessThan(boxes[k].x1);
    expect((left - boxes[k].x0) / (boxes[k].x1 - boxes[k].x0)).toBeCloseTo(0.5, 1);
  });
  await galleryShot(page.locator(".overlay-card"), "compare-fields");

  // A drag over A's panel zooms every panel to the same window: the same place in each panel reads the same
  // point, and double-click shows the whole grid again.
  const from = middle(boxes[0], 0.2, 0.3);
  const to = middle(boxes[0], 0.6, 0.7);
  await page.mouse.move(...(await at(canvas, from)));
  await page.mouse.down();
  await page.mouse.move(...(await at(canvas, to)), { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-window", "");
  const [wx0, wx1, wy0, wy1] = (await canvas.getAttribute("data-window"))!.split(",").map(Number);
  expect(wx0).toBeGreaterThan(0);
  expect(wx1).toBeLessThan(nx - 1);
  expect(wx1 - wx0).toBeLessThan((nx - 1) * 0.6);
  expect(wy1 - wy0).toBeLessThan((ny - 1) * 0.6);
  const zoomed = await panelBoxes(canvas);
  const readings: string[] = [];
  for (const b of zoomed) {
    await canvas.hover({ position: middle(b, 0.3, 0.6) });
    readings.push((await readout.textContent()) ?? "");
  }
  // Panels in one column lie at the same pixels: the same place reads exactly the same point.
  expect(readings[0]).toContain("shift=1 − shift=0 = 1.000");
  expect(readings[2]).toBe(readings[0]);
  expect(readings[1]).toContain("shift=1 − shift=0 = 1.000");
  await canvas.dblclick({ position: middle(zoomed[0]) });
  await expect(canvas).toHaveAttribute("data-window", "");
  const card = page.locator(".overlay-card").filter({ has: canvas });
  const [png] = await Promise.all([page.waitForEvent("download"), card.getByRole("button", { name: "PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("compare-Solution2D.png");
});

test("runs on grids that differ: named by the grid, no difference map and the page says why, nothing wider than the window", async ({ page }) => {
  const grid = (nx: number, ny: number) => Array.from({ length: ny }, (_, j) => Array.from({ length: nx }, (_, i) => i + j));
  // Besides the grid, a long description and a computed error differ: they widen no table and name no run.
  const description = (nx: number) => `the heat equation on a ${nx}-column grid, `.repeat(4);
  const [coarse, fine] = [[8, 6], [16, 12]].map(([nx, ny]) => {
    const metadata = { nx, description: description(nx), max_error: Math.PI / nx };
    const id = writeRun({ name: `grid ${nx}`, metadata, status: "completed" });
    addResult(id, "Solution2D", { values: grid(nx, ny) }, { title: "T" });
    return id;
  });
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto(`/compare?runs=${coarse},${fine}`);
  const canvas = page.locator('canvas[data-testid="fields"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  expect((await panelBoxes(canvas)).map((b) => b.kind)).toEqual(["run", "run"]);
  await expect(page.getByTestId("compared-run")).toHaveText([/^nx=8 /, /^nx=16 /]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
  await expect(page.getByTestId("no-difference")).toHaveText(
    "no difference map for nx=16: its grid is 12×16, the baseline's 6×8",
  );
  // Neither run has a circuit or an equation: said in words, with no empty box.
  await expect(page.getByTestId("circuit-diff")).toHaveText(/nx=16: no circuit, as the baseline/);
  await expect(page.getByTestId("equation-diff")).toHaveText(/no equation, as the baseline/);
  await expect(page.locator("pre.circuit")).toHaveCount(0);
});

type Box = { kind: string; x0: number; y0: number; x1: number; y1: number };

/// Where each panel of a fields canvas lies (CSS pixels from its corner), as it says in `data-panels`.
async function panelBoxes(canvas: import("@playwright/test").Locator): Promise<Box[]> {
  const text = (await canvas.getAttribute("data-panels")) ?? "";
  return text.split(";").map((p) => {
    const [kind, rest] = p.split(":");
    const [x0, y0, x1, y1] = rest.split(",").map(Number);
    return { kind, x0, y0, x1, y1 };
  });
}

/// A point of a canvas in page coordinates.
async function at(canvas: import("@playwright/test").Locator, p: { x: number; y: number }): Promise<[number, number]> {
  const b = (await canvas.boundingBox())!;
  return [b.x + p.x, b.y + p.y];
}

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

test("curves overlaid zoom, read every run under the pointer, and export the figure and every run's data", async ({ page }) => {
  const sweep = `zoom-${randomUUID().slice(0, 8)}`;
  const n = 2000;
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  const [a, b] = [0, 1].map((shift) => {
    const id = writeRun({ name: `shift ${shift}`, metadata: { shift, sweep }, status: "completed" });
    addResult(id, "Solution1D", { x, computed: x.map((v) => v + shift) }, { title: "line" });
    return id;
  });
  const views: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/_fn/result_view")) views.push(r.postData() ?? "");
  });
  await page.goto(`/compare?runs=${a},${b}`);
  const canvas = page.locator('canvas[data-testid="overlay"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  const box = (await canvas.boundingBox())!;

  // The read-out names every run by its label, at the same x: B reads A + 1.
  await canvas.hover({ position: { x: box.width / 2, y: box.height / 3 } });
  const readout = page.getByTestId("overlay-readout");
  await expect(readout).toContainText("shift=0");
  const text = (await readout.textContent())!;
  const [, at, va, vb] = text.match(/x ≈ ([-\d.e]+) · shift=0 [=≈] ([-\d.e]+).* · shift=1 [=≈] ([-\d.e]+)/)!.map(Number);
  expect(at).toBeGreaterThan(0.3);
  expect(at).toBeLessThan(0.7);
  expect(va).toBeCloseTo(at, 2);
  expect(vb - va).toBeCloseTo(1, 2);

  // A drag zooms both runs into the range dragged over, fetched again for it. (Where the canvas is now: the
  // hover scrolled it into view.)
  const before = views.length;
  const now = (await canvas.boundingBox())!;
  await page.mouse.move(now.x + now.width * 0.4, now.y + now.height / 3);
  await page.mouse.down();
  await page.mouse.move(now.x + now.width * 0.6, now.y + now.height / 3, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-view", "");
  const [lo, hi] = (await canvas.getAttribute("data-view"))!.split(",").map(Number);
  expect(lo).toBeGreaterThan(0.2);
  expect(hi).toBeLessThan(0.8);
  expect(hi - lo).toBeLessThan(0.3);
  await expect.poll(() => views.slice(before).filter((v) => v.includes('"view":[')).length).toBeGreaterThanOrEqual(2);
  await expect(page.locator('canvas[data-testid="overlay"][data-drawn="true"]')).toHaveCount(1);
  await canvas.dblclick({ position: { x: box.width / 2, y: box.height / 3 } });
  await expect(canvas).toHaveAttribute("data-view", "");

  // Export: the figure as PNG, and every run's full data as one CSV.
  const card = page.locator(".overlay-card").filter({ has: canvas });
  const [png] = await Promise.all([page.waitForEvent("download"), card.getByRole("button", { name: "PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("compare-Solution1D.png");
  const [csv] = await Promise.all([page.waitForEvent("download"), card.getByRole("link", { name: "CSV" }).click()]);
  const rows = readFileSync((await csv.path())!, "utf8").trim().split("\n");
  expect(rows[0]).toBe("run,label,x,computed");
  expect(rows.length).toBe(1 + 2 * n);
  expect(rows[n + 1]).toBe(`${b},shift=1,0,1`);
});

test("optimisation parameters as small multiples: one chart per parameter, every run in its colour", async ({ page }) => {
  const sweep = `params-${randomUUID().slice(0, 8)}`;
  const steps = 60;
  const ids = [0.1, 0.2].map((lr) => {
    const id = writeRun({ name: `lr ${lr}`, metadata: { lr, sweep }, status: "completed" });
    const loss = Array.from({ length: steps }, (_, s) => Math.exp(-lr * s));
    const params = Array.from({ length: steps }, (_, s) => [1 - Math.exp(-lr * s), Math.cos(lr * s), lr * s]);
    addResult(id, "OptimizationResult", { loss, params, param_names: ["w", "b", "scale"] }, { title: "fit" });
    return id;
  });
  await page.goto(`/compare?runs=${ids.join(",")}`);
  const params = page.locator('canvas[data-testid="parameters"][data-drawn="true"]');
  await expect(params).toHaveAttribute("data-count", "3");
  expect((await canvasPixels(params, [31, 119, 180])).colour).toBeGreaterThan(200);
  expect((await canvasPixels(params, [214, 39, 40])).colour).toBeGreaterThan(200);
  await galleryShot(page.locator(".overlay-card").filter({ has: params }), "compare-parameters");
});

test("ensembles at one shared time: each run's distribution at that time, a reduced one asked for its column", async ({ page }) => {
  const sweep = `hist-${randomUUID().slice(0, 8)}`;
  const m = 200;
  // Bell-shaped spreads (a sum of four seeded uniforms per path) widening with time; B = A + 1.
  let seed = 7;
  const uniform = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const spread = Array.from({ length: m }, () => uniform() + uniform() + uniform() + uniform() - 2);
  const value = (i: number, t: number, shift: number) => spread[i] * (0.2 + t) + t + shift;
  const meanAt = (t: number, shift: number) => spread.reduce((s, _, i) => s + value(i, t, shift), 0) / m;
  // A: 11 times (sent raw); B: 3,001 times (reduced on the server).
  const [a, b] = [
    [11, 0],
    [3001, 1],
  ].map(([times, shift]) => {
    const id = writeRun({ name: `paths ${shift}`, metadata: { shift, sweep }, status: "completed" });
    const t = Array.from({ length: times }, (_, k) => k / (times - 1));
    const paths = Array.from({ length: m }, (_, i) => t.map((v) => value(i, v, shift)));
    addResult(id, "StochasticEnsemble", { t, paths }, { title: "walk" });
    return id;
  });
  await page.goto(`/compare?runs=${a},${b}`);
  const canvas = page.locator('canvas[data-testid="histograms"][data-drawn="true"]');
  await expect(canvas).toHaveCount(1);
  const lines = page.getByTestId("at-time").locator("li");
  const read = async (k: number) => {
    const [, t, n, mean] = (await lines.nth(k).textContent())!.match(/t = ([\d.e-]+): n = (\d+), mean = ([\d.e-]+)/)!.map(Number);
    return { t, n, mean };
  };
  // By default each run's last time.
  await expect(lines.nth(1)).toContainText("t = 1: n = 200");
  for (const [k, shift] of [
    [0, 0],
    [1, 1],
  ]) {
    const r = await read(k);
    expect(r.t).toBe(1);
    expect(r.mean).toBeCloseTo(meanAt(1, shift), 5);
  }
  await page.getByTestId("shared-time").evaluate((input: HTMLInputElement) => {
    input.value = "500";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await expect(lines.nth(0)).toContainText("t = 0.5: n = 200");
  expect((await read(0)).mean).toBeCloseTo(meanAt(0.5, 0), 5);
  // B's column nearest 0.5: its last time lies within a column's width of it, and its values are at that time.
  await expect(lines.nth(1)).not.toContainText("t = 1:");
  const atB = await read(1);
  expect(Math.abs(atB.t - 0.5)).toBeLessThan(0.005);
  expect(atB.n).toBe(200);
  expect(atB.mean).toBeCloseTo(meanAt(atB.t, 1), 4);
  expect((await canvasPixels(canvas, [214, 39, 40])).colour).toBeGreaterThan(100);
  await galleryShot(page.locator(".overlay-card").filter({ has: canvas }), "compare-histograms");
});

test("runs added to a comparison by a query and removed in place", async ({ page }) => {
  const sweep = `add-${randomUUID().slice(0, 8)}`;
  const [a, b, c, d] = [0, 1, 2, 3].map((k) => writeRun({ name: `k ${k}`, metadata: { k, sweep, odd: k % 2 === 1 }, status: "completed" }));
  await page.goto(`/compare?runs=${a},${b}`);
  await expect(page.getByTestId("compared-run")).toHaveCount(2);
  await expect(page.getByTestId("remove-run")).toHaveCount(0);

  // A query adds every run it matches that is not compared yet; the baseline stays.
  const input = page.getByTestId("add-runs");
  await input.fill(`meta.sweep = "${sweep}" AND meta.k >= 2`);
  await input.press("Enter");
  await expect(page.getByTestId("compared-run")).toHaveCount(4);
  await expect(page).toHaveURL(new RegExp(`runs=${a},${b},.*&baseline=${a}`));
  expect(page.url()).toContain(c);
  expect(page.url()).toContain(d);
  await expect(page.getByTestId("why")).toContainText("meta.k");

  // A query that cannot be read, or matches nothing, says so and changes nothing.
  await input.fill("meta.k >= ");
  await input.press("Enter");
  await expect(page.getByTestId("add-problem")).toBeVisible();
  await input.fill(`meta.sweep = "${sweep}-none"`);
  await input.press("Enter");
  await expect(page.getByTestId("add-problem")).toContainText("no run matches");
  await expect(page.getByTestId("compared-run")).toHaveCount(4);

  // Removing the baseline makes the first run left the baseline.
  await page.getByTestId("compared-run").first().getByTestId("remove-run").click();
  await expect(page.getByTestId("compared-run")).toHaveCount(3);
  expect(page.url()).not.toContain(a);
  await expect(page.getByTestId("compared-run").first().getByTestId("baseline")).toBeVisible();
});
