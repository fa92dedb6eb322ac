// Growing results: a computation in another process appends to a result while a page watches it grow, and
// sets its run's progress, which the run list shows.
import { expect, test, type Locator, type Page, type Request } from "@playwright/test";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";

import { expectNotReloaded, openLive, resultCard, runRow } from "./support/page";
import { binary } from "./support/process";
import { readRun, storage, writeAtomic, writeRun } from "./support/storage";

/// Starts `asgard append --grow` into `run`: `count` optimisation steps `intervalMs` apart, with progress. Resolves
/// with the result's id (its first line) and a promise of its exit.
async function grow(run: string, count: number, intervalMs: number): Promise<{ result: string; done: Promise<number> }> {
  const child = spawn(binary, [
    "append", "--storage", storage(), "--into", run, "--grow", "--count", `${count}`, "--interval-ms", `${intervalMs}`,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  const result = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`asgard append exited with ${code}: ${out}`)));
  });
  return { result, done };
}

/// The plot's requests for `result`: whole views, and the rows after those held (with what was held).
function watchRequests(page: Page, result: string): { views: number; rows: Array<[string, number][]> } {
  const seen = { views: 0, rows: [] as Array<[string, number][]> };
  page.on("request", (request: Request) => {
    const body = request.postData() ?? "";
    if (!body.includes(result)) return;
    if (request.url().includes("/_fn/result_view")) seen.views += 1;
    if (request.url().includes("/_fn/result_rows")) seen.rows.push(JSON.parse(body).held);
  });
  return seen;
}

test("a loss curve grows on an open page without reload, taking only the rows it lacks, and a page opened mid-run catches up", async ({ page, browser }) => {
  const run = writeRun({ name: "descent, live" });
  const writer = await grow(run, 400, 15);
  const requests = watchRequests(page, writer.result);

  // Opened while the writer runs: the result is there with what was written so far, marked growing.
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, writer.result);
  await expect(card.getByTestId("growth")).toHaveText("growing");
  const canvas = card.locator("canvas");
  await expect(canvas).toHaveAttribute("data-drawn", "true");
  const rows = async () => Number(await canvas.getAttribute("data-rows"));
  const first = await rows();

  // It grows while we watch, from new rows alone: one whole view, then requests that say what the plot holds.
  await expect.poll(rows, { timeout: 10_000 }).toBeGreaterThan(first + 50);
  await expectNotReloaded(page);
  expect(requests.views).toBe(1);
  expect(requests.rows.length).toBeGreaterThan(2);
  const held = requests.rows[requests.rows.length - 1];
  expect(held.find(([name]) => name === "loss")![1]).toBeGreaterThan(first);
  expect(held.find(([name]) => name === "params")![1]).toBe(held.find(([name]) => name === "loss")![1]);

  // A second page opened later starts from everything written so far.
  const late = await browser.newPage();
  await openLive(late, `/run/${run}`);
  const lateCanvas = resultCard(late, writer.result).locator("canvas");
  await expect(lateCanvas).toHaveAttribute("data-drawn", "true");
  expect(Number(await lateCanvas.getAttribute("data-rows"))).toBeGreaterThanOrEqual(await rows() - 20);

  // Closed at the end: every step, on both pages, and no longer growing.
  expect(await writer.done).toBe(0);
  for (const p of [page, late]) {
    const c = resultCard(p, writer.result);
    await expect(c.locator("canvas")).toHaveAttribute("data-rows", "400", { timeout: 10_000 });
    await expect(c.getByTestId("growth")).toHaveCount(0);
  }
  await late.close();
});

test("a result opened before its first row waits for it, and draws the rows a plain-JSON writer appends", async ({ page }) => {
  // Written by hand, as a tool without Asgard code would (docs/storage-format.md, "Growing results").
  const run = writeRun({ name: "opened empty" });
  const result = randomUUID();
  const now = new Date().toISOString();
  writeAtomic(path.join(storage(), "results", `${result}.json`), {
    id: result, run_id: run, result_type: "DiscreteSequence", timestamp: now, data: {}, display: { title: "by hand" },
    growing: { open: true, opened: now },
  });
  writeAtomic(path.join(storage(), "runs", `${run}.json`), { ...readRun(run), results: [result] });
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, result);
  await expect(card.getByTestId("waiting")).toBeVisible();
  for (let seq = 0; seq < 3; seq++) {
    writeAtomic(path.join(storage(), "files", `${result}_chunk-${String(seq).padStart(8, "0")}.json`), {
      result_id: result, seq, timestamp: new Date().toISOString(), rows: 2, data: { values: [seq, seq + 0.5] },
    });
    await expect(card.locator("canvas")).toHaveAttribute("data-rows", `${2 * (seq + 1)}`);
  }
  await expect(card.getByTestId("waiting")).toHaveCount(0);
  await expect(card.locator(".problem")).toHaveCount(0);
  await expectNotReloaded(page);
});

test("a field that grows by snapshots gets a slider through them, on the latest unless chosen", async ({ page }) => {
  const run = writeRun({ name: "snapshots" });
  const result = randomUUID();
  const now = new Date().toISOString();
  writeAtomic(path.join(storage(), "results", `${result}.json`), {
    id: result, run_id: run, result_type: "Solution2D", timestamp: now, data: { x: [0, 1, 2, 3], y: [0, 1, 2] },
    display: { title: "field over time" }, growing: { open: true, opened: now },
  });
  writeAtomic(path.join(storage(), "runs", `${run}.json`), { ...readRun(run), results: [result] });
  // Three snapshots, each a different field: a ramp one way, the other way, and a bump.
  const grids = [
    [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]],
    [[3, 2, 1, 0], [3, 2, 1, 0], [3, 2, 1, 0]],
    [[0, 0, 0, 0], [0, 9, 9, 0], [0, 0, 0, 0]],
  ];
  grids.forEach((grid, seq) =>
    writeAtomic(path.join(storage(), "files", `${result}_chunk-${String(seq).padStart(8, "0")}.json`), {
      result_id: result, seq, timestamp: now, rows: 1, data: { values: [grid], t: [0.5 * seq] },
    }),
  );
  const views: Array<number | null> = [];
  page.on("request", (r) => {
    if (r.url().includes("/_fn/result_view") && (r.postData() ?? "").includes(result)) views.push(JSON.parse(r.postData()!).time_index);
  });
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, result);
  const canvas = card.locator("canvas");
  await expect(canvas).toHaveAttribute("data-drawn", "true");
  const slider = card.getByLabel("Snapshot time");
  await expect(slider).toBeVisible();
  await expect(slider).toHaveAttribute("max", "2");
  await expect(slider).toHaveValue("2");
  const latest = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await slider.fill("0");
  await expect.poll(() => views.includes(0)).toBe(true);
  await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(latest);
});

test("a running computation's progress moves in the run list, with the time left", async ({ page }) => {
  const run = writeRun({ name: "progress, live" });
  await openLive(page, "/");
  const writer = await grow(run, 300, 15);
  const bar = runRow(page, run).getByTestId("progress");
  await expect(bar).toBeVisible({ timeout: 10_000 });
  const fraction = async () => Number(await bar.getAttribute("data-fraction"));
  const before = await fraction();
  await expect.poll(fraction, { timeout: 10_000 }).toBeGreaterThan(before);
  await expect(bar).toContainText(/\d+% · \d+ s left/);
  expect(await writer.done).toBe(0);
  await expectNotReloaded(page);
});

test("a killed writer's result stays readable, and reads unfinished once its run has failed", async ({ page }) => {
  const run = writeRun({ name: "killed writer" });
  const child = spawn(binary, [
    "append", "--storage", storage(), "--into", run, "--grow", "--count", "100000", "--interval-ms", "2",
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const result = await new Promise<string>((resolve) => child.stdout!.once("data", (chunk) => resolve(`${chunk}`.split("\n")[0].trim())));
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.kill("SIGKILL");
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, result);
  await expect(card.locator("canvas")).toHaveAttribute("data-drawn", "true");
  expect(Number(await card.locator("canvas").getAttribute("data-rows"))).toBeGreaterThan(10);
  await expect(card.getByTestId("growth")).toHaveText("growing");
  // The run is marked failed (as a supervisor would): the result grows no more.
  writeAtomic(path.join(storage(), "runs", `${run}.json`), { ...readRun(run), status: "failed" });
  await expect(card.getByTestId("growth")).toHaveText("unfinished");
});

test("a zoomed plot stays where it was put as the result grows, and follows the newest points when asked", async ({ page }) => {
  // A sequence appended by hand, 100 values a chunk, so that where its newest point lies is known exactly.
  const run = writeRun({ name: "follow the tail" });
  const result = randomUUID();
  const now = new Date().toISOString();
  writeAtomic(path.join(storage(), "results", `${result}.json`), {
    id: result, run_id: run, result_type: "DiscreteSequence", timestamp: now, data: {}, display: { title: "tail" },
    growing: { open: true, opened: now },
  });
  writeAtomic(path.join(storage(), "runs", `${run}.json`), { ...readRun(run), results: [result], status: "running" });
  const append = (seq: number) => writeAtomic(
    path.join(storage(), "files", `${result}_chunk-${String(seq).padStart(8, "0")}.json`),
    { result_id: result, seq, timestamp: new Date().toISOString(), rows: 100,
      data: { values: Array.from({ length: 100 }, (_, i) => Math.sin((100 * seq + i) / 7)) } },
  );
  append(0);
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, result);
  const canvas = card.locator("canvas");
  await expect(canvas).toHaveAttribute("data-rows", "100");
  const follow = card.locator("input.follow-tail");
  // Unzoomed, the plot shows everything: nothing to follow.
  await expect(follow).toBeHidden();

  const box = (await canvas.boundingBox())!;
  const y = box.y + box.height * 0.4;
  const viewOf = () => page.waitForResponse((r) => r.url().includes("/_fn/result_view") && (r.request().postData() ?? "").includes(result));
  const zoomed = viewOf();
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
  await page.mouse.up();
  await expect(canvas).not.toHaveAttribute("data-view", "");
  await zoomed;
  const view = async () => (await canvas.getAttribute("data-view"))!.split(",").map(Number);
  const [lo, hi] = await view();
  expect(hi).toBeLessThan(99);

  // An append while zoomed: the plot fetches its range again and stays there.
  const refetched = viewOf();
  append(1);
  await refetched;
  expect(await view()).toEqual([lo, hi]);

  // Following: the same width, ending at the newest point (index 199), and moving with the next append.
  await expect(follow).toBeVisible();
  await follow.check();
  await expect.poll(async () => (await view())[1]).toBe(199);
  const [flo, fhi] = await view();
  expect(fhi - flo).toBeCloseTo(hi - lo, 6);
  append(2);
  await expect.poll(async () => (await view())[1]).toBe(299);
  await expect(canvas).toHaveAttribute("data-drawn", "true");
  await expect(card.locator(".problem")).toHaveCount(0);

  // Unzoomed again: everything, and the choice put away.
  await page.mouse.dblclick(box.x + box.width * 0.5, y);
  await expect(canvas).toHaveAttribute("data-view", "");
  await expect(follow).toBeHidden();
  await expectNotReloaded(page);
});

test("an animation takes its new frames as they are written, and stays on the newest while paused there", async ({ page }) => {
  const run = writeRun({ name: "moving" });
  const result = randomUUID();
  const now = new Date().toISOString();
  writeAtomic(path.join(storage(), "results", `${result}.json`), {
    id: result, run_id: run, result_type: "PhysicsAnimation", timestamp: now, data: {},
    display: { title: "a body", fps: 30 }, growing: { open: true, opened: now },
  });
  writeAtomic(path.join(storage(), "runs", `${run}.json`), { ...readRun(run), results: [result], status: "running" });
  // One body going round a circle, a frame per time step.
  let frames = 0;
  const append = (seq: number, count: number) => {
    const positions = Array.from({ length: count }, (_, i) => [[Math.cos((frames + i) / 5), Math.sin((frames + i) / 5)]]);
    const t = Array.from({ length: count }, (_, i) => (frames + i) / 30);
    frames += count;
    writeAtomic(path.join(storage(), "files", `${result}_chunk-${String(seq).padStart(8, "0")}.json`),
      { result_id: result, seq, timestamp: new Date().toISOString(), rows: count, data: { positions, t } });
  };
  append(0, 2);
  await openLive(page, `/run/${run}`);
  const card = resultCard(page, result);
  const canvas = card.locator("canvas");
  await expect(canvas).toHaveAttribute("data-frames", "2");
  await expect(canvas).toHaveAttribute("data-drawn", "true");
  const scrub = (frame: number) => card.locator("input.scrubber").evaluate((input: HTMLInputElement, f) => {
    input.value = `${f}`;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, frame);

  // Paused on the last frame: new frames arrive, and the player shows the newest.
  await scrub(1);
  await expect(canvas).toHaveAttribute("data-frame", "1");
  append(1, 3);
  await expect(canvas).toHaveAttribute("data-frames", "5");
  await expect(canvas).toHaveAttribute("data-frame", "4");
  await expect(card.getByText("frame 5 of 5")).toBeVisible();

  // Paused elsewhere: it stays where it was put.
  await scrub(0);
  append(2, 1);
  await expect(canvas).toHaveAttribute("data-frames", "6");
  await expect(canvas).toHaveAttribute("data-frame", "0");
  await expect(card.locator(".problem")).toHaveCount(0);
  await expectNotReloaded(page);
});

for (const width of [1280, 800]) {
  test(`a running computation's progress, growth badge and follow choice fit the window at ${width} px`, async ({ page }) => {
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
    await page.setViewportSize({ width, height: 900 });
    // A long-named running run, part way, with a growing loss that has rows.
    const run = writeRun({ name: `a long running optimisation ${"of many parameters ".repeat(12)}` });
    const result = randomUUID();
    const now = new Date().toISOString();
    writeAtomic(path.join(storage(), "results", `${result}.json`), {
      id: result, run_id: run, result_type: "OptimizationResult", timestamp: now, data: {},
      display: { title: "loss, still falling" }, growing: { open: true, opened: now },
    });
    writeAtomic(path.join(storage(), "files", `${result}_chunk-00000000.json`), {
      result_id: result, seq: 0, timestamp: now, rows: 200, data: { loss: Array.from({ length: 200 }, (_, i) => 1 / (1 + i)) },
    });
    writeAtomic(path.join(storage(), "runs", `${run}.json`), {
      ...readRun(run), results: [result], status: "running",
      progress: { fraction: 0.42, message: "step 4,200 of 10,000 — a long message that must wrap or be cut", at: now },
    });
    await openLive(page, "/");
    const bar = runRow(page, run).getByTestId("progress");
    await expect(bar).toBeVisible();
    const inside = async (part: Locator) => {
      const box = (await part.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    };
    await inside(bar);
    await inside(runRow(page, run).locator(".status"));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

    await page.goto(`/run/${run}`);
    const card = resultCard(page, result);
    const canvas = card.locator("canvas");
    await expect(canvas).toHaveAttribute("data-drawn", "true");
    await inside(card.getByTestId("growth"));
    // Zoomed: the follow choice shows, inside the window.
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4, { steps: 4 });
    await page.mouse.up();
    const follow = card.locator("label", { has: page.locator("input.follow-tail") });
    await expect(follow).toBeVisible();
    await inside(follow);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    expect(errors).toEqual([]);
  });
}
