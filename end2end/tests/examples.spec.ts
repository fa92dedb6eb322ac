// `asgard example -c basic --monitor`: the monitor starts first, and the examples' runs appear in the open
// dashboard as they are computed, without a reload.
import { expect, test } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expectNotReloaded, openLive } from "./support/page";
import { startAsgard } from "./support/process";

test("asgard example -c basic --monitor shows the runs arriving live", async ({ page }) => {
  const storage = mkdtempSync(path.join(tmpdir(), "asgard-examples-"));
  // A pause before each example, so that they arrive one by one while the page is open.
  const monitor = await startAsgard(["example", "-c", "basic", "--monitor", "--storage", storage, "--port", "0", "--pause-ms", "2000"]);
  try {
    const url = monitor.url;
    await openLive(page, url);
    const rows = page.locator("tr.run");
    // The third example starts six seconds in: at least it arrives after the page opened.
    expect(await rows.count()).toBeLessThan(3);
    await expect(rows).toHaveCount(3, { timeout: 20_000 });
    for (const name of ["Integration of cos(x)", "Exponential decay", "Harmonic oscillator"]) {
      await expect(rows.filter({ hasText: name })).toHaveCount(1);
    }
    await expect(page.locator("tr.run .status-completed")).toHaveCount(3, { timeout: 10_000 });
    await expectNotReloaded(page);
    await expect(rows.filter({ hasText: "Harmonic oscillator" })).toContainText("classical Runge–Kutta (RK4)");

    // The examples are done and summarised; the dashboard keeps serving and draws their results.
    await expect.poll(monitor.output, { timeout: 10_000 }).toContain("keeps serving until Ctrl-C");
    expect(monitor.output()).toContain("basic/03_harmonic_oscillator.yaml");
    await rows.filter({ hasText: "Harmonic oscillator" }).locator("a").first().click();
    await expect(page.locator('canvas[data-drawn="true"]')).toHaveCount(2);
  } finally {
    await monitor.stop();
  }
});
