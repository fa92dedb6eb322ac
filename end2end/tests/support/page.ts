// Find and check: locators for the dashboard's parts and checks that need the page's own JavaScript.
import { expect, type Locator, type Page } from "@playwright/test";

/// Opens a page and waits until it is hydrated and subscribed to live updates.
export async function openLive(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.locator('[data-live="connected"]')).toBeVisible();
  // A marker that a reload would wipe: the checks below prove updates arrive without one.
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}

export async function expectNotReloaded(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

export const runRow = (page: Page, runId: string): Locator => page.locator(`tr.run[data-run-id="${runId}"]`);
export const resultCard = (page: Page, resultId: string): Locator =>
  page.locator(`section.result[data-result-id="${resultId}"]`);

/// Counts the canvas's pixels that are neither transparent nor white, and those of the given colour.
export async function canvasPixels(canvas: Locator, rgb: [number, number, number]): Promise<{ ink: number; colour: number }> {
  return canvas.evaluate((element, [r, g, b]) => {
    const c = element as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    let colour = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [pr, pg, pb, pa] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (pa > 0 && !(pr > 245 && pg > 245 && pb > 245)) ink++;
      if (Math.abs(pr - r) < 12 && Math.abs(pg - g) < 12 && Math.abs(pb - b) < 12) colour++;
    }
    return { ink, colour };
  }, rgb);
}

/// With UPDATE_GALLERY=1, saves the card as docs/gallery/{name}.png: the README's gallery is taken from real
/// runs by this suite, so the pictures stay true.
export async function galleryShot(card: Locator, name: string): Promise<void> {
  if (process.env.UPDATE_GALLERY !== "1") return;
  await card.screenshot({ path: `${__dirname}/../../../docs/gallery/${name}.png` });
}

/// With `UPDATE_GALLERY=1`, saves the page at 1200 × 900 as the README's picture `docs/{name}.png` (after the
/// plots have redrawn at that size).
export async function readmeShot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_GALLERY !== "1") return;
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${__dirname}/../../../docs/${name}.png` });
}
