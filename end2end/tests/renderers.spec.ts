// Each result type with a plot of its own, checked by the colours its renderer puts on the canvas.
import { expect, test, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import { canvasPixels, galleryShot, readmeShot, resultCard } from "./support/page";
import { addResult, addResultWithId, solution1d, storage, writeNpy, writeRun } from "./support/storage";

async function drawnCanvas(page: Page, runId: string, resultId: string) {
  await page.goto(`/run/${runId}`);
  const canvas = resultCard(page, resultId).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  return canvas;
}

test("Solution1D with expected values adds an error panel with max and RMS error", async ({ page }) => {
  const id = writeRun({
    name: "Wave equation, 400 points",
    equation: "u_tt = c^2 u_xx, u(0, x) = sin(2πx)",
    circuit: "r0 = load x\nr1 = mul r0, 6.2832\nr2 = sin r1",
  });
  const [data, display] = solution1d(400, "Error panel");
  const result = addResult(id, "Solution1D", data, display);
  const canvas = await drawnCanvas(page, id, result);
  expect((await canvasPixels(canvas, [148, 103, 189])).colour).toBeGreaterThan(100);
  await galleryShot(resultCard(page, result), "Solution1D");
  await readmeShot(page, "screenshot-run");
});

test("Solution2D is a viridis heatmap whose extremes take the colormap's end colours", async ({ page }) => {
  const id = writeRun({ name: "Heatmap" });
  const values = Array.from({ length: 20 }, (_, j) => Array.from({ length: 30 }, (_, i) => i + j));
  const result = addResult(id, "Solution2D", { values }, { title: "Potential" });
  const canvas = await drawnCanvas(page, id, result);
  expect((await canvasPixels(canvas, [68, 1, 84])).colour).toBeGreaterThan(50);
  expect((await canvasPixels(canvas, [254, 232, 37])).colour).toBeGreaterThan(50);
  await galleryShot(resultCard(page, result), "Solution2D");

  // Hovering reads out the cell under the pointer: here value = x + y.
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  const readout = resultCard(page, result).getByTestId("readout");
  await expect(readout).toContainText("value");
  const [x, y, value] = /x = (\d+), y = (\d+), value = (\d+)/.exec((await readout.textContent())!)!.slice(1).map(Number);
  expect(value).toBe(x + y);
});

test("StochasticEnsemble draws the mean, the confidence band and the final-time histogram", async ({ page }) => {
  const id = writeRun({ name: "Ensemble" });
  const t = Array.from({ length: 50 }, (_, k) => k / 49);
  const paths = Array.from({ length: 40 }, (_, i) => t.map((tk) => Math.sin(6 * tk + i) * tk + (i - 20) * 0.02 * tk));
  const result = addResult(id, "StochasticEnsemble", { t, paths }, { title: "Paths", confidence: 0.9, bins: 10 });
  const canvas = await drawnCanvas(page, id, result);
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(100); // mean
  expect((await canvasPixels(canvas, [255, 223, 195])).colour).toBeGreaterThan(500); // band, orange at 25%
  const histogramAtEnd = (await canvasPixels(canvas, [86, 179, 86])).colour;
  expect(histogramAtEnd).toBeGreaterThan(200); // histogram bars
  await galleryShot(resultCard(page, result), "StochasticEnsemble");

  // The slider moves the histogram: at t = 0 every path starts at 0, so one bar holds them all.
  const before = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await resultCard(page, result).locator("input.time-slider").evaluate((input: HTMLInputElement) => {
    input.value = "0";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(before);
  expect((await canvasPixels(canvas, [86, 179, 86])).colour).not.toBe(histogramAtEnd);
});

test("DiscreteSequence draws steps with markers and the expected overlay", async ({ page }) => {
  const id = writeRun({ name: "Sequence" });
  const values = [1, 3, 2, 5, 4, 6, 2, 7];
  const result = addResult(id, "DiscreteSequence", { values, expected: values.map((v) => v + 1) }, { title: "Counts" });
  const canvas = await drawnCanvas(page, id, result);
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(200);
  expect((await canvasPixels(canvas, [214, 39, 40])).colour).toBeGreaterThan(200);
  await galleryShot(resultCard(page, result), "DiscreteSequence");

  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const readout = resultCard(page, result).getByTestId("readout");
  await expect(readout).toContainText("value");
  const [n, value, expected] = /n = (\d+), value = (\d+), expected = (\d+)/.exec((await readout.textContent())!)!.slice(1).map(Number);
  expect(value).toBe(values[n]);
  expect(expected).toBe(values[n] + 1);
});

test("OptimizationResult draws the loss and one line per named parameter", async ({ page }) => {
  const id = writeRun({ name: "Optimisation" });
  const loss = Array.from({ length: 100 }, (_, k) => 1000 * Math.exp(-k / 10));
  const params = loss.map((_, k) => [Math.tanh(k / 20), Math.cos(k / 15)]);
  const result = addResult(id, "OptimizationResult", { loss, params, param_names: ["a", "b"] }, { title: "Fit" });
  const canvas = await drawnCanvas(page, id, result);
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(100);
  expect((await canvasPixels(canvas, [214, 39, 40])).colour).toBeGreaterThan(100);
  expect((await canvasPixels(canvas, [44, 160, 44])).colour).toBeGreaterThan(100);
  await galleryShot(resultCard(page, result), "OptimizationResult");

  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.25);
  const readout = resultCard(page, result).getByTestId("readout");
  await expect(readout).toContainText("loss");
  const [step, lossValue] = /step = (\d+), loss = ([\d.e-]+)/.exec((await readout.textContent())!)!.slice(1).map(Number);
  expect(lossValue / loss[step]).toBeCloseTo(1, 4);
  await expect(readout).toContainText(", a = ");

  // Six decades of loss: the log axis is on by default and can be switched off.
  const log = resultCard(page, result).locator("input.log-scale");
  await expect(log).toBeChecked();
  const before = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await log.uncheck();
  await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(before);
});

test("a malformed result shows its error in its own card and the others still draw", async ({ page }) => {
  const id = writeRun({ name: "One bad result" });
  const bad = addResult(id, "Solution2D", { values: [[1, 2, 3]], x: [0, 1] }, { title: "Bad axes" });
  const [data, display] = solution1d(50, "Good");
  const good = addResult(id, "Solution1D", data, display);
  await page.goto(`/run/${id}`);
  await expect(resultCard(page, bad).locator(".problem")).toContainText("`x`");
  await expect(resultCard(page, good).locator('canvas[data-drawn="true"]')).toBeVisible();
});

test("PhysicsAnimation plays, pauses, scrubs and stops at the end without loop", async ({ page }) => {
  const id = writeRun({ name: "Animation" });
  const frames = 60;
  const positions = Array.from({ length: frames }, (_, f) => {
    const a = (f / frames) * 2 * Math.PI;
    return [[Math.cos(a), Math.sin(a)], [-Math.cos(a) / 2, -Math.sin(a) / 2]];
  });
  const result = addResult(id, "PhysicsAnimation", { positions }, { title: "Orbit", fps: 30 });
  await page.goto(`/run/${id}`);
  const card = resultCard(page, result);
  const canvas = card.locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  await expect(canvas).toHaveAttribute("data-frame", "0");
  const still = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());

  await card.getByRole("button", { name: "Play" }).click();
  await expect(canvas).not.toHaveAttribute("data-frame", "0");
  await card.getByRole("button", { name: "Pause" }).click();
  const paused = await canvas.getAttribute("data-frame");
  await page.waitForTimeout(300);
  await expect(canvas).toHaveAttribute("data-frame", paused!);
  expect(await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(still);

  // The scrubber jumps to a frame, and the caption shows that frame's time (frame 45 at 30 fps: t = 1.5).
  await card.locator("input.scrubber").evaluate((input: HTMLInputElement) => {
    input.value = "45";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await expect(canvas).toHaveAttribute("data-frame", "45");
  await expect(card).toContainText("frame 46 of 60");
  await galleryShot(card, "PhysicsAnimation");

  // Hovering names the body nearest the pointer: in the middle of the plot, the inner body (radius ½) is nearer.
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.55);
  await expect(card.getByTestId("readout")).toContainText("body 2: x = ");
  const [bx, by] = /x = ([-\d.e]+), y = ([-\d.e]+)/.exec((await card.getByTestId("readout").textContent())!)!.slice(1).map(Number);
  const a = (45 / frames) * 2 * Math.PI;
  expect(bx).toBeCloseTo(-Math.cos(a) / 2, 5);
  expect(by).toBeCloseTo(-Math.sin(a) / 2, 5);

  // Without loop, playing stops on the last frame.
  await card.locator("input.loop").uncheck();
  await card.locator("select.speed").selectOption("4");
  await card.getByRole("button", { name: "Play" }).click();
  await expect(canvas).toHaveAttribute("data-frame", String(frames - 1));
  await expect(card.getByRole("button", { name: "Play" })).toBeVisible();
});

test("a plot exports its figure as PNG, its data as CSV and its original .npy files", async ({ page }) => {
  const id = writeRun({ name: "Exports" });
  const resultId = randomUUID();
  const n = 1500;
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  const computed = x.map((v) => Math.cos(4 * v));
  addResultWithId(id, resultId, "Solution1D", { x: writeNpy(resultId, "x", x), computed }, { title: "Exported" });
  const canvas = await drawnCanvas(page, id, resultId);
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(100);
  const card = resultCard(page, resultId);

  const png = page.waitForEvent("download");
  await card.getByRole("button", { name: "PNG" }).click();
  const download = await png;
  expect(download.suggestedFilename()).toBe(`${resultId}.png`);
  const bytes = readFileSync((await download.path())!);
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");

  const csv = await (await page.request.get(await card.getByRole("link", { name: "CSV" }).getAttribute("href") ?? "")).text();
  const lines = csv.trim().split("\n");
  expect(lines[0]).toBe("x,computed");
  expect(lines).toHaveLength(n + 1);
  expect(Number(lines[n].split(",")[1])).toBeCloseTo(Math.cos(4), 12);

  const npy = await page.request.get(await card.getByRole("link", { name: "x.npy" }).getAttribute("href") ?? "");
  expect(npy.status()).toBe(200);
  expect((await npy.body()).equals(readFileSync(path.join(storage(), "files", `${resultId}_x.npy`)))).toBe(true);
});

test("a heatmap exports its grid as a CSV of rows, not a CSV of its axis alone", async ({ page }) => {
  const id = writeRun({ name: "Grid exports" });
  const values = Array.from({ length: 3 }, (_, j) => Array.from({ length: 4 }, (_, i) => 10 * j + i));
  const result = addResult(id, "Solution2D", { values, x: [0, 1, 2, 3], y: [0, 0.5, 1] }, { title: "Grid" });
  const canvas = await drawnCanvas(page, id, result);
  expect(canvas).toBeTruthy();
  const card = resultCard(page, result);
  // Its 1-D fields are its axes: their CSV is offered, and the grid has its own.
  await expect(card.getByRole("link", { name: "values.csv" })).toBeVisible();
  const csv = await (await page.request.get((await card.getByRole("link", { name: "values.csv" }).getAttribute("href"))!)).text();
  // One line per row, led by the row's index.
  expect(csv.trim().split("\n")).toEqual(["i0,c0,c1,c2,c3", "0,0,1,2,3", "1,10,11,12,13", "2,20,21,22,23"]);
});

test("hovering a Solution1D reads out the nearest point", async ({ page }) => {
  const id = writeRun({ name: "Hover" });
  const x = Array.from({ length: 101 }, (_, i) => i / 100);
  const result = addResult(id, "Solution1D", { x, computed: x.map((v) => v * v), expected: x.map((v) => v * v + 1) }, { title: "Squares" });
  const canvas = await drawnCanvas(page, id, result);
  const readout = resultCard(page, result).getByTestId("readout");
  const box = (await canvas.boundingBox())!;

  const readAt = async (fraction: number) => {
    await page.mouse.move(box.x + box.width * fraction, box.y + box.height * 0.3);
    await expect(readout).toContainText("computed");
    const match = /x = ([\d.]+), computed = ([\d.e-]+), expected = ([\d.e-]+)/.exec((await readout.textContent())!);
    expect(match).not.toBeNull();
    const [xv, computed, expected] = match!.slice(1).map(Number);
    expect(computed).toBeCloseTo(xv * xv, 10);
    expect(expected).toBeCloseTo(xv * xv + 1, 10);
    return xv;
  };
  const left = await readAt(0.3);
  const right = await readAt(0.7);
  expect(right).toBeGreaterThan(left);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
  await expect(readout).toHaveText("");
});

test("awkward data still draws: NaN and infinities counted, one point, constant, empty, unicode", async ({ page }) => {
  const id = writeRun({ name: "Awkward data" });
  const long = "Température ∂u/∂t — ".repeat(8);
  // JSON has no NaN or Infinity: JavaScript writes 1e400 (Infinity) as null, like a missing value.
  const withGaps = addResult(id, "Solution1D", { x: [0, 1, 2, 3, 4], computed: [1, null, 3, 1e400, 2] }, { title: long, labels: { x: "位置", y: "温度" } });
  const single = addResult(id, "Solution1D", { x: [0.5], computed: [1] }, { title: "One point" });
  const constant = addResult(id, "DiscreteSequence", { values: [7, 7, 7, 7] }, { title: "Constant" });
  const tiny = addResult(id, "OptimizationResult", { loss: [1e12, 1, 1e-12] }, { title: "Twenty-four decades" });
  const empty = addResult(id, "Solution1D", { x: [], computed: [] }, { title: "Empty" });
  await page.goto(`/run/${id}`);
  for (const result of [withGaps, single, constant, tiny, empty]) {
    await expect(resultCard(page, result).locator('canvas[data-drawn="true"]')).toBeVisible();
    await expect(resultCard(page, result).locator(".problem")).toHaveCount(0);
  }
  await expect(resultCard(page, withGaps).getByTestId("skipped")).toHaveText("2 NaN or infinite values not drawn");
  await expect(resultCard(page, single).getByTestId("skipped")).toHaveCount(0);
  const line = await canvasPixels(resultCard(page, withGaps).locator("canvas"), [31, 119, 180]);
  expect(line.colour).toBeGreaterThan(50);
});

test("a Solution1D zooms by drag and wheel, pans with shift-drag, and resets on double-click", async ({ page }) => {
  const id = writeRun({ name: "Zoom" });
  const x = Array.from({ length: 1001 }, (_, i) => i / 1000);
  const result = addResult(id, "Solution1D", { x, computed: x.map((v) => Math.sin(40 * v)) }, { title: "Zoomable" });
  const canvas = await drawnCanvas(page, id, result);
  const box = (await canvas.boundingBox())!;
  const y = box.y + box.height * 0.4;
  const view = async () => ((await canvas.getAttribute("data-view")) ?? "").split(",").filter(Boolean).map(Number);
  const before = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());

  await page.mouse.move(box.x + box.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.55, y, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-view", "");
  const [lo, hi] = await view();
  expect(lo).toBeGreaterThan(0.1);
  expect(hi).toBeLessThan(0.9);
  expect(hi - lo).toBeGreaterThan(0.1);
  expect(hi - lo).toBeLessThan(0.4);
  expect(await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(before);

  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + box.width * 0.6, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, y, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  const [panLo, panHi] = await view();
  expect(panLo).toBeGreaterThan(lo);
  expect(panHi - panLo).toBeCloseTo(hi - lo, 9);

  // The wheel zooms and the page stays where it is (the listener is not passive).
  await page.evaluate(() => {
    document.body.style.minHeight = "4000px";
    window.scrollTo(0, 150);
  });
  const scrolled = await page.evaluate(() => window.scrollY);
  expect(scrolled).toBe(150);
  const moved = (await canvas.boundingBox())!;
  await page.mouse.move(moved.x + moved.width * 0.5, moved.y + moved.height * 0.4);
  await page.mouse.wheel(0, -200);
  await expect.poll(async () => { const [a, b] = await view(); return b - a; }).toBeLessThan(panHi - panLo);
  expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);

  await page.mouse.dblclick(box.x + box.width * 0.5, y);
  await expect(canvas).toHaveAttribute("data-view", "");
});

test("a long series is reduced on the server, keeps its spike, and shows raw points when zoomed in", async ({ page }) => {
  const id = writeRun({ name: "Long series" });
  const resultId = randomUUID();
  const n = 200_000;
  const x = Array.from({ length: n }, (_, i) => i / n);
  const computed = x.map((v) => Math.sin(20 * v));
  computed[123_457] = 25; // one sample far above the rest
  const data = { x: writeNpy(resultId, "x", x), computed: writeNpy(resultId, "computed", computed) };
  const first = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  addResultWithId(id, resultId, "Solution1D", data, { title: "200,000 points" });
  await page.goto(`/run/${id}`);
  const response = await first;
  // 200,000 points are 1.6 MB per field; the reduction sends a (min, max) pair per pixel column.
  expect((await response.body()).byteLength).toBeLessThan(60_000);
  const canvas = resultCard(page, resultId).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();

  // The spike is drawn: the computed colour reaches the top rows of the plotting area.
  const topInk = await canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext("2d")!.getImageData(0, 40, c.width, 40).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 31) < 20 && Math.abs(data[i + 1] - 119) < 20 && Math.abs(data[i + 2] - 180) < 20) n++;
    return n;
  });
  expect(topInk).toBeGreaterThan(0);

  const box = (await canvas.boundingBox())!;
  const readout = resultCard(page, resultId).getByTestId("readout");
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await expect(readout).toContainText("computed ≈ ");

  // Zoom in about the pointer until few enough points are in view to come raw.
  for (let i = 0; i < 24; i++) await page.mouse.wheel(0, -100);
  await page.mouse.move(box.x + box.width * 0.5 + 1, box.y + box.height * 0.5);
  await expect(readout).toContainText("computed = ", { timeout: 10_000 });
});

test("a plot redraws to fit when the window resizes, and draws at the screen's pixel density", async ({ browser }) => {
  const id = writeRun({ name: "Resize" });
  const [data, display] = solution1d(300, "Fits its box");
  const result = addResult(id, "Solution1D", data, display);
  const buffer = (c: HTMLCanvasElement) => [c.width, c.height, c.clientWidth, c.clientHeight];

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const canvas = await drawnCanvas(page, id, result);
  const [wide] = await canvas.evaluate(buffer);
  await page.setViewportSize({ width: 640, height: 800 });
  await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.width)).toBeLessThan(wide);
  const [w, h, cssW, cssH] = await canvas.evaluate(buffer);
  expect([w, h]).toEqual([cssW, cssH]);
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(100);
  await page.close();

  // On a 2× screen the buffer has two device pixels per CSS pixel each way; lines keep their CSS width.
  const sharp = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 2 });
  const hiDpi = await drawnCanvas(sharp, id, result);
  await expect.poll(() => hiDpi.evaluate((c: HTMLCanvasElement) => c.width / c.clientWidth)).toBe(2);
  const [bw, bh, bcw, bch] = await hiDpi.evaluate(buffer);
  expect([bw, bh]).toEqual([2 * bcw, 2 * bch]);
  const ink = (await canvasPixels(hiDpi, [31, 119, 180])).colour;
  expect(ink).toBeGreaterThan(300);
  await sharp.close();
});

test("sequences and optimisations zoom too; a long loss comes reduced to a line with a min–max band", async ({ page }) => {
  const id = writeRun({ name: "Zoom every 1-D plot" });
  const resultId = randomUUID();
  const n = 100_000;
  const loss = Array.from({ length: n }, (_, k) => 2 + Math.sin(k / 50));
  loss[70_001] = 40; // one bad step
  const first = page.waitForResponse((r) => r.url().includes("/_fn/result_view") && r.request().postData()!.includes(resultId));
  addResultWithId(id, resultId, "OptimizationResult", { loss: writeNpy(resultId, "loss", loss) }, { title: "Long training" });
  const sequence = addResult(id, "DiscreteSequence", { values: Array.from({ length: 200 }, (_, k) => k % 10) }, { title: "Counts" });
  await page.goto(`/run/${id}`);
  expect((await (await first).body()).byteLength).toBeLessThan(120_000); // 800 KB of loss
  const canvas = resultCard(page, resultId).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  // The band is the loss colour at 30 %: on white, about (188, 214, 233).
  expect((await canvasPixels(canvas, [188, 214, 233])).colour).toBeGreaterThan(100);
  const readout = resultCard(page, resultId).getByTestId("readout");
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await expect(readout).toContainText("loss ≈ ");
  const [lo, hi] = /\[([\d.e-]+), ([\d.e-]+)\]/.exec((await readout.textContent())!)!.slice(1).map(Number);
  expect(lo).toBeLessThanOrEqual(hi);

  // The spike is in the band: hovering its column reads out a maximum of 40.
  const frame = (x: number) => box.x + box.width * x;
  await page.mouse.move(frame(0.35), box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(frame(0.65), box.y + box.height * 0.5, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-view", "");
  const [vlo, vhi] = (await canvas.getAttribute("data-view"))!.split(",").map(Number);
  expect(vhi - vlo).toBeLessThan(n * 0.5);
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, -100);
  await page.mouse.move(box.x + box.width * 0.5 + 1, box.y + box.height * 0.5);
  await expect(readout).toContainText("loss = ", { timeout: 10_000 });

  const seqCanvas = resultCard(page, sequence).locator('canvas[data-drawn="true"]');
  await seqCanvas.scrollIntoViewIfNeeded();
  const seqBox = (await seqCanvas.boundingBox())!;
  await page.mouse.move(seqBox.x + seqBox.width * 0.3, seqBox.y + seqBox.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(seqBox.x + seqBox.width * 0.5, seqBox.y + seqBox.height * 0.5, { steps: 4 });
  await page.mouse.up();
  await expect(seqCanvas).not.toHaveAttribute("data-view", "");
  const [slo, shi] = (await seqCanvas.getAttribute("data-view"))!.split(",").map(Number);
  expect(slo).toBeGreaterThan(20);
  expect(shi).toBeLessThan(150);
  await page.mouse.dblclick(seqBox.x + seqBox.width * 0.5, seqBox.y + seqBox.height * 0.5);
  await expect(seqCanvas).toHaveAttribute("data-view", "");
});

test("hovering an ensemble reads out the mean and band at the nearest time", async ({ page }) => {
  const id = writeRun({ name: "Ensemble hover" });
  const t = Array.from({ length: 11 }, (_, k) => k / 10);
  // Path i is i·t: at each time the values are 0, t, 2t, 3t, so the mean is 1.5 t.
  const paths = Array.from({ length: 4 }, (_, i) => t.map((tk) => i * tk));
  const result = addResult(id, "StochasticEnsemble", { t, paths }, { title: "Fan" });
  const canvas = await drawnCanvas(page, id, result);
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  const readout = resultCard(page, result).getByTestId("readout");
  await expect(readout).toContainText("mean");
  const [tk, mean] = /t = ([\d.]+), mean = ([\d.e-]+)/.exec((await readout.textContent())!)!.slice(1).map(Number);
  expect(mean).toBeCloseTo(1.5 * tk, 9);
  await expect(readout).toContainText("95% band");
  await expect(readout).toContainText("over 4 paths");
});

test("a log axis the loss cannot take is refused with a note", async ({ page }) => {
  const id = writeRun({ name: "Negative loss" });
  const result = addResult(id, "OptimizationResult", { loss: [3, 1, -1, 0.5] }, { title: "Signed objective" });
  await drawnCanvas(page, id, result);
  const card = resultCard(page, result);
  await expect(card.getByTestId("log-refused")).toHaveCount(0);
  await card.locator("input.log-scale").check();
  await expect(card.getByTestId("log-refused")).toContainText("1 value ≤ 0");
});

test("a heatmap larger than the canvas is reduced on the server and keeps its hottest cell", async ({ page }) => {
  const id = writeRun({ name: "Big field" });
  const resultId = randomUUID();
  const [rows, cols] = [1200, 1600];
  const values = new Float64Array(rows * cols).fill(0);
  values[777 * cols + 1234] = 1; // one hot cell among 1.9 million
  const first = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  addResultWithId(id, resultId, "Solution2D", { values: writeNpy(resultId, "values", values, [rows, cols]) }, { title: "Hot spot" });
  await page.goto(`/run/${id}`);
  expect((await (await first).body()).byteLength).toBeLessThan(4_000_000); // 15 MB in full
  const canvas = resultCard(page, resultId).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  // The hot cell survives as a block of the colormap's top colour.
  expect((await canvasPixels(canvas, [254, 232, 37])).colour).toBeGreaterThan(50); // includes the colour bar
  const hot = await canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext("2d")!.getImageData(0, 0, Math.floor(c.width * 0.8), c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 254) < 12 && Math.abs(data[i + 1] - 232) < 12 && Math.abs(data[i + 2] - 37) < 12) n++;
    return n;
  });
  expect(hot).toBeGreaterThan(0);
});

test("a large heatmap zooms into the rectangle dragged, cell by cell from the server, pans on shift-drag, and comes back on a double-click", async ({ page }) => {
  const id = writeRun({ name: "Big field zoomed" });
  const resultId = randomUUID();
  const [rows, cols] = [1500, 1600]; // 2.4 million cells: the server keeps a pyramid of it
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = 0.2 + 0.1 * Math.sin(r / 50) * Math.cos(c / 70);
  values[700 * cols + 900] = 1; // one hot cell
  values[720 * cols + 920] = -1; // and a cold one near it (in another block of the whole view)
  const views: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/_fn/result_view") && (r.postData() ?? "").includes(resultId)) views.push(r.postData()!);
  });
  addResultWithId(id, resultId, "Solution2D", { values: writeNpy(resultId, "values", values, [rows, cols]) }, { title: "Hot spot" });
  await page.goto(`/run/${id}`);
  const card = resultCard(page, resultId);
  const canvas = card.locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  // Where the hot cell is drawn (the colormap's top colour), in CSS pixels.
  const hotSpot = () => canvas.evaluate((c: HTMLCanvasElement) => {
    const scale = c.width / c.clientWidth;
    const data = c.getContext("2d")!.getImageData(0, 0, Math.floor(c.width * 0.8), c.height).data;
    const width = Math.floor(c.width * 0.8);
    let [n, sx, sy] = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 254) < 12 && Math.abs(data[i + 1] - 232) < 12 && Math.abs(data[i + 2] - 37) < 12) {
        n++;
        sx += (i / 4) % width;
        sy += Math.floor(i / 4 / width);
      }
    }
    return n === 0 ? null : { n, x: sx / n / scale, y: sy / n / scale };
  });
  const before = await hotSpot();
  expect(before).not.toBeNull();
  await canvas.hover({ position: { x: before!.x, y: before!.y } });
  await expect(card.getByTestId("readout")).toContainText("block of");
  // Drag a rectangle of 40 × 30 pixels around it: about 90 × 90 cells, drawn cell by cell.
  const box = (await canvas.boundingBox())!;
  const views_before = views.length;
  await page.mouse.move(box.x + before!.x - 20, box.y + before!.y - 15);
  await page.mouse.down();
  await page.mouse.move(box.x + before!.x + 20, box.y + before!.y + 15, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-y-view", "");
  await expect.poll(() => views.length).toBeGreaterThan(views_before);
  const asked = JSON.parse(views[views.length - 1]);
  expect(asked.view[0]).toBeLessThan(900);
  expect(asked.view[1]).toBeGreaterThan(900);
  expect(asked.y_view[0]).toBeLessThan(700);
  expect(asked.y_view[1]).toBeGreaterThan(700);
  // The hot cell is now many pixels, and the cold one near it shows too (the colormap's bottom colour).
  await expect.poll(async () => (await hotSpot())?.n ?? 0).toBeGreaterThan(before!.n * 4);
  expect((await canvasPixels(canvas, [68, 1, 84])).colour).toBeGreaterThan(4);
  const after = (await hotSpot())!;
  await page.mouse.move(box.x + after.x, box.y + after.y);
  await expect(card.getByTestId("readout")).toContainText("value = 1");
  // A shift-drag pans: dragged 30 pixels right, the columns shown move left (lower x).
  const zoomedAttr = (await canvas.getAttribute("data-view"))!;
  const zoomedView = zoomedAttr.split(",").map(Number);
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + after.x, box.y + after.y);
  await page.mouse.down();
  await page.mouse.move(box.x + after.x + 30, box.y + after.y, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await expect(canvas).not.toHaveAttribute("data-view", zoomedAttr);
  const panned = (await canvas.getAttribute("data-view"))!.split(",").map(Number);
  expect(panned[0]).toBeLessThan(zoomedView[0]);
  // As wide as what was drawn: the range asked for, out to whole cells.
  expect(Math.abs(panned[1] - panned[0] - (zoomedView[1] - zoomedView[0]))).toBeLessThan(1.5);
  // A double-click shows the whole grid again.
  await page.mouse.dblclick(box.x + after.x, box.y + after.y);
  await expect(canvas).toHaveAttribute("data-y-view", "");
  await expect.poll(async () => (await hotSpot())?.n ?? 0).toBeLessThan(before!.n * 2);
});

test("a long ensemble is reduced on the server and its slider still moves the histogram", async ({ page }) => {
  const id = writeRun({ name: "Long ensemble" });
  const resultId = randomUUID();
  const [m, n] = [30, 20_000];
  const t = Array.from({ length: n }, (_, k) => k / n);
  // Before t = 0.5 the paths take three values (three bars); after, thirty (ten bars).
  const paths = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) paths[i * n + k] = (i % 3) * t[k] + (t[k] > 0.5 ? i : 0);
  const first = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  addResultWithId(id, resultId, "StochasticEnsemble", {
    t: writeNpy(resultId, "t", t),
    paths: writeNpy(resultId, "paths", paths, [m, n]),
  }, { title: "20,000 times", confidence: 0.9, bins: 10 });
  await page.goto(`/run/${id}`);
  expect((await (await first).body()).byteLength).toBeLessThan(400_000); // 4.8 MB in full
  const card = resultCard(page, resultId);
  const canvas = card.locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(100); // mean
  expect((await canvasPixels(canvas, [255, 223, 195])).colour).toBeGreaterThan(500); // band
  const bars = (await canvasPixels(canvas, [86, 179, 86])).colour;
  expect(bars).toBeGreaterThan(200);
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await expect(card.getByTestId("readout")).toContainText("over 30 paths");

  // Early on the values fall in three bars: the histogram is re-fetched for the time picked.
  const refetch = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  await card.locator("input.time-slider").evaluate((input: HTMLInputElement) => {
    input.value = "0";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await refetch;
  await expect.poll(async () => (await canvasPixels(canvas, [86, 179, 86])).colour).not.toBe(bars);

  // The paths zoom like any 1-D plot: deep enough in, the raw times come back.
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-view", "");
  const [lo, hi] = (await canvas.getAttribute("data-view"))!.split(",").map(Number);
  expect(hi - lo).toBeLessThan(0.5);
  await expect(card.getByTestId("readout")).toContainText("t ≈ ");
  // Each wheel step zooms from the view drawn last, so on a busy machine quick steps may land on one frame:
  // step, let it draw, and read out again, until the raw times show (0.8¹² of the view is deep enough).
  const readout = card.getByTestId("readout");
  for (let i = 0; i < 40 && !(await readout.textContent())?.includes("t = "); i++) {
    await page.mouse.wheel(0, -100);
    await page.waitForTimeout(100);
    await page.mouse.move(box.x + box.width * 0.3 + (i % 2), box.y + box.height * 0.5);
  }
  await expect(readout).toContainText("t = ", { timeout: 10_000 });
});

test("a PhysicsAnimation of fields draws a heatmap per frame, reduced on the server when larger than the canvas", async ({ page }) => {
  const id = writeRun({ name: "Field animation" });
  const resultId = randomUUID();
  const [f, rows, cols] = [4, 300, 2800];
  const frames = new Float64Array(f * rows * cols);
  // A hot cell that moves from the left towards the right, frame by frame.
  for (let k = 0; k < f; k++) frames[k * rows * cols + 150 * cols + 200 + 700 * k] = 1;
  const first = page.waitForResponse((r) => r.url().includes("/_fn/result_view"));
  addResultWithId(id, resultId, "PhysicsAnimation", { frames: writeNpy(resultId, "frames", frames, [f, rows, cols]) }, { title: "Moving source" });
  await page.goto(`/run/${id}`);
  // 27 MB in full; the canvas shows at most 3/4 of its device pixel columns: a third of the cells each way.
  expect((await (await first).body()).byteLength).toBeLessThan(10_000_000);
  const card = resultCard(page, resultId);
  const canvas = card.locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  // Where the colormap's top colour sits in the plotting area (left of the colour bar): its mean column.
  const hotColumn = () => canvas.evaluate((c: HTMLCanvasElement) => {
    const width = Math.floor(c.width * 0.8);
    const data = c.getContext("2d")!.getImageData(0, 0, width, c.height).data;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 254) < 12 && Math.abs(data[i + 1] - 232) < 12 && Math.abs(data[i + 2] - 37) < 12) {
        sum += (i / 4) % width;
        n++;
      }
    }
    return n > 0 ? sum / n : -1;
  });
  const start = await hotColumn();
  expect(start).toBeGreaterThan(0);
  await card.locator("input.scrubber").evaluate((input: HTMLInputElement) => {
    input.value = "3";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await expect(canvas).toHaveAttribute("data-frame", "3");
  expect(await hotColumn()).toBeGreaterThan(start + 100);
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  await expect(card.getByTestId("readout")).toContainText("block extreme = 0");
});
