// Playwright runs the real `asgard monitor` binary on a temporary storage and drives Debian's Chromium.
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "./chromium";

// The config is evaluated by the runner and again by each worker: create the storage once and share it
// through the environment, which workers inherit.
if (!process.env.ASGARD_E2E_STORAGE) {
  process.env.ASGARD_E2E_STORAGE = mkdtempSync(path.join(tmpdir(), "asgard-e2e-"));
}
const storage = process.env.ASGARD_E2E_STORAGE;
const port = Number(process.env.ASGARD_E2E_PORT ?? 18765);
const binary = process.env.ASGARD_BIN ?? path.resolve(__dirname, "../target/debug/asgard");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: `"${binary}" monitor --storage "${storage}" --port ${port}`,
    url: `http://127.0.0.1:${port}/api/runs`,
    // The self-contained release binary runs from its own (otherwise empty) directory: nothing of a build near.
    cwd: process.env.ASGARD_STANDALONE ? path.dirname(binary) : undefined,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
