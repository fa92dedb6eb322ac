// The release binary copied alone into an empty directory (issue 17): it serves the whole dashboard from the
// front end built into it — brotli-compressed, with ETags — and its pages hydrate, draw and update live.
// scripts/test.sh runs the whole suite so, with ASGARD_STANDALONE=1 and ASGARD_BIN naming the copy (the config
// starts it from its own directory); against a debug build, which serves target/site from disk, this is skipped.
import { expect, test } from "@playwright/test";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { canvasPixels, expectNotReloaded, openLive, resultCard, runRow } from "./support/page";
import { startAsgard } from "./support/process";
import { addResult, solution1d, writeRun } from "./support/storage";

test.skip(!process.env.ASGARD_STANDALONE, "drives the copied release binary (scripts/test.sh sets ASGARD_STANDALONE)");

test("the release binary copied alone serves the dashboard from inside itself", async ({ page, request }) => {
  const binary = process.env.ASGARD_BIN!;
  expect(readdirSync(path.dirname(binary))).toEqual(["asgard"]);

  // The WASM comes from inside the binary: brotli when the browser takes it, revalidated by its ETag.
  const wasm = await request.get("/pkg/asgard.wasm", { headers: { "accept-encoding": "gzip, br" } });
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
  expect(wasm.headers()["content-encoding"]).toBe("br");
  const etag = wasm.headers()["etag"];
  expect(etag).toMatch(/^"[0-9a-f]{16}-br"$/);
  const again = await request.get("/pkg/asgard.wasm", {
    headers: { "accept-encoding": "gzip, br", "if-none-match": etag },
  });
  expect(again.status()).toBe(304);
  const css = await request.get("/pkg/asgard.css", { headers: { "accept-encoding": "gzip" } });
  expect(css.headers()["content-type"]).toContain("text/css");
  expect(css.headers()["content-encoding"]).toBe("gzip");

  // The pages hydrate: a run written now appears in the open list, its page draws, a new result arrives live.
  await openLive(page, "/");
  const id = writeRun({ name: "Served by the copy", equation: "u = sin(x)" });
  await expect(runRow(page, id)).toContainText("Served by the copy");
  await page.locator(`a[href="/run/${id}"]`).first().click();
  await expect(page).toHaveURL(`/run/${id}`);
  await expect(page.locator('[data-live="connected"]')).toBeVisible();
  const [data, display] = solution1d(400, "Standing wave");
  const result = addResult(id, "Solution1D", data, display);
  const canvas = resultCard(page, result).locator('canvas[data-drawn="true"]');
  await expect(canvas).toBeVisible();
  expect((await canvasPixels(canvas, [31, 119, 180])).colour).toBeGreaterThan(200);
  // The list's link was followed by the hydrated router, not by loading a new document.
  await expectNotReloaded(page);
});

test("LEPTOS_SITE_ROOT makes the release binary serve the front end from that folder instead", async ({ request }) => {
  const site = mkdtempSync(path.join(tmpdir(), "asgard-site-"));
  mkdirSync(path.join(site, "pkg"));
  writeFileSync(path.join(site, "pkg", "asgard.css"), "/* the folder's own */\n");
  const storage = mkdtempSync(path.join(tmpdir(), "asgard-site-storage-"));
  const monitor = await startAsgard(["monitor", "--storage", storage, "--port", "0"], {
    ...process.env,
    LEPTOS_SITE_ROOT: site,
  });
  try {
    const base = monitor.url.replace(/\/$/, "");
    const css = await request.get(`${base}/pkg/asgard.css`, { headers: { "accept-encoding": "gzip, br" } });
    expect(css.status()).toBe(200);
    expect(await css.text()).toBe("/* the folder's own */\n");
    expect(css.headers()["content-encoding"]).toBeUndefined();
  } finally {
    await monitor.stop();
  }
  // Without it, the copy serves its own (the suite's monitor).
  const own = await request.get("/pkg/asgard.css");
  expect(await own.text()).toContain(".compare");
});
