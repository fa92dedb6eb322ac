// Markup written into the storage stays text: run names, equations, circuits, titles and labels are never
// interpreted as HTML, in the server-rendered page or after hydration and live updates.
import { expect, test } from "@playwright/test";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { openLive, resultCard, runRow } from "./support/page";
import { binary, startAsgard } from "./support/process";
import { addResult, solution1d, writeRun } from "./support/storage";


const payloads = {
  name: `<img src=x onerror="window.__xss='name'">`,
  equation: `<script>window.__xss='equation'</script>`,
  circuit: `<svg onload="window.__xss='circuit'"><circle r=5 /></svg>`,
  title: `<img src=y onerror="window.__xss='title'"> title`,
  label: `<svg><script>window.__xss='label'</script></svg>`,
};

test("markup in names, equations, circuits, titles and labels is shown as text and never runs", async ({ page }) => {
  const seen: string[] = [];
  page.on("dialog", (d) => { seen.push(d.message()); void d.dismiss(); });
  const runId = writeRun({ name: payloads.name, equation: payloads.equation, circuit: payloads.circuit });
  const [data] = solution1d(50, "");
  const resultId = addResult(runId, "Solution1D", data, { title: payloads.title, labels: { x: payloads.label, y: payloads.label } });

  // Server-rendered HTML: escaped.
  const html = await (await page.request.get(`/run/${runId}`)).text();
  expect(html).not.toContain("<img src=x");
  expect(html).not.toContain("<script>window.__xss");
  expect(html).toContain("&lt;img src=x");

  await openLive(page, "/");
  await expect(runRow(page, runId).locator(".name")).toContainText(payloads.name);
  await expect(runRow(page, runId)).toContainText(payloads.equation);
  await expect(runRow(page, runId)).toContainText(payloads.circuit);
  await runRow(page, runId).getByRole("link").click();
  await expect(resultCard(page, resultId)).toContainText(payloads.title);
  await expect(resultCard(page, resultId).locator("canvas")).toHaveAttribute("data-drawn", "true");
  await expect(page.locator("h1")).toContainText(payloads.name);

  // A result arriving live with markup in its title is text too.
  const [more] = solution1d(20, "");
  const live = addResult(runId, "Solution1D", more, { title: payloads.title.replace("y", "z") });
  await expect(resultCard(page, live)).toContainText("onerror");

  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
  expect(await page.locator("img[src=x], img[src=y], img[src=z]").count()).toBe(0);
  expect(await page.locator("main svg").count()).toBe(0);
  expect(seen).toEqual([]);
});

test("with a token, the printed URL opens the live dashboard and nothing opens without it", async ({ page, browser }) => {
  const storage = mkdtempSync(path.join(tmpdir(), "asgard-token-"));
  const monitor = await startAsgard(["monitor", "--storage", storage, "--port", "0", "--token", "e2e-secret-token"]);
  try {
    const url = monitor.url;
    expect(url).toContain("?token=e2e-secret-token");
    const base = url.split("?")[0];

    // Without the token: 401 for the page, the API and the live stream, in a browser with no cookie.
    const stranger = await browser.newContext();
    for (const p of ["", "api/runs", "api/updates"]) {
      expect((await stranger.request.get(base + p)).status()).toBe(401);
    }
    await stranger.close();

    // The printed URL: the token becomes a cookie and leaves the address bar; the app hydrates, connects live
    // (the stream and server functions carry the cookie) and shows runs as they are written.
    await page.goto(url);
    await expect(page).toHaveURL(base);
    await expect(page.locator('[data-live="connected"]')).toBeVisible();
    const child2 = spawn(binary, ["example", "basic/01_integration.yaml", "--storage", storage], { stdio: "ignore" });
    await new Promise((resolve) => child2.once("exit", resolve));
    await expect(page.locator("tr.run")).toHaveCount(1, { timeout: 10_000 });
    await page.locator("tr.run a").first().click();
    await expect(page.locator('canvas[data-drawn="true"]').first()).toBeVisible();
  } finally {
    await monitor.stop();
  }
});
