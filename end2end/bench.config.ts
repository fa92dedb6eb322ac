// The run explorer's browser benchmark (scripts/bench-browser.sh): the release `asgard monitor` on a large
// storage (ASGARD_BENCH_STORAGE), driven by Debian's Chromium. Figures, not pass/fail: see BENCHMARKS.md.
import { defineConfig } from "@playwright/test";
import path from "node:path";

import { chromium } from "./chromium";

const storage = process.env.ASGARD_BENCH_STORAGE;
if (!storage) throw new Error("ASGARD_BENCH_STORAGE is not set: run scripts/bench-browser.sh");
const port = Number(process.env.ASGARD_BENCH_PORT ?? 18766);
const binary = process.env.ASGARD_BIN ?? path.resolve(__dirname, "../target/release/asgard");

export default defineConfig({
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  timeout: 600_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromium,
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: `"${binary}" monitor --storage "${storage}" --port ${port}`,
    url: `http://127.0.0.1:${port}/api/runs?limit=1`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
