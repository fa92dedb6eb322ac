// The dashboard on a bucket (issue 16): a real S3-compatible server (moto, installed by scripts/setup.sh), the
// monitor reading `s3://…`, and `asgard example` writing into the bucket from another process: the runs arrive
// in the open page without a reload, and their results draw.
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";

import { expectNotReloaded, openLive } from "./support/page";
import { binary, startAsgard } from "./support/process";

const motoServer = path.resolve(__dirname, "../../.venv/bin/moto_server");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const request = (port: number, method: string, path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { "content-length": 0 } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });

/// moto on a free port, answering.
async function startMoto(): Promise<{ port: number; process: ChildProcess }> {
  expect(existsSync(motoServer), `${motoServer} is missing: run scripts/setup.sh`).toBe(true);
  const port = await freePort();
  const child = spawn(motoServer, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  for (let tries = 0; ; tries++) {
    try {
      await request(port, "GET", "/");
      return { port, process: child };
    } catch (e) {
      if (tries > 300) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test("the dashboard follows a bucket while asgard example writes into it from another process", async ({ page }) => {
  test.setTimeout(90_000);
  const moto = await startMoto();
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${moto.port}`,
    AWS_ALLOW_HTTP: "true",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
  };
  expect(await request(moto.port, "PUT", "/e2e-sweep")).toBe(200);
  const location = "s3://e2e-sweep/runs";
  const monitor = await startAsgard(["monitor", "--storage", location, "--port", "0", "--watch", "poll", "--poll-interval-ms", "200"], env);
  let writer: ChildProcess | undefined;
  try {
    expect(monitor.output()).toContain(`(storage ${location})`);
    await openLive(page, monitor.url);
    const rows = page.locator("tr.run");
    await expect(rows).toHaveCount(0);
    // Another process writes the basic examples into the bucket, one every 1.5 s.
    writer = spawn(binary, ["example", "-c", "basic", "--storage", location, "--pause-ms", "1500"], { env, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => writer!.once("exit", resolve));
    await expect(rows.first()).toBeVisible({ timeout: 20_000 });
    expect(await rows.count()).toBeLessThan(3);
    await expect(rows).toHaveCount(3, { timeout: 30_000 });
    await expect(page.locator("tr.run .status-completed")).toHaveCount(3, { timeout: 20_000 });
    await expectNotReloaded(page);
    expect(await exited).toBe(0);
    // Its results, read from the bucket (arrays included), draw.
    await rows.filter({ hasText: "Harmonic oscillator" }).locator("a").first().click();
    await expect(page.locator('canvas[data-drawn="true"]')).toHaveCount(2);
    await expect(page.locator(".problem")).toHaveCount(0);
  } finally {
    writer?.kill();
    await monitor.stop();
    moto.process.kill();
  }
});
