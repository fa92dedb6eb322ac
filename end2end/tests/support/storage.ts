// Act: write runs and results straight into the storage directory, as any simulation in any language would,
// following docs/storage-format.md (each file written to a temporary name, then renamed into place).
import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

export const storage = (): string => {
  const dir = process.env.ASGARD_E2E_STORAGE;
  if (!dir) throw new Error("ASGARD_E2E_STORAGE is not set: run the tests through playwright.config.ts");
  return dir;
};

function writeAtomic(file: string, value: unknown): void {
  const tmp = path.join(path.dirname(file), `.tmp-${randomUUID()}`);
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}

const runFile = (id: string) => path.join(storage(), "runs", `${id}.json`);

export interface RunSpec {
  name: string;
  equation?: string;
  circuit?: string;
}

export function writeRun(spec: RunSpec): string {
  const id = randomUUID();
  writeAtomic(runFile(id), {
    id,
    name: spec.name,
    timestamp: new Date().toISOString(),
    equation: spec.equation ?? null,
    circuit: spec.circuit ?? null,
    status: "running",
    metadata: {},
    results: [],
  });
  return id;
}

export function addResult(runId: string, resultType: string, data: Record<string, unknown>, display: object): string {
  const id = randomUUID();
  writeAtomic(path.join(storage(), "results", `${id}.json`), {
    id,
    run_id: runId,
    result_type: resultType,
    timestamp: new Date().toISOString(),
    data,
    display,
  });
  const run = JSON.parse(readFileSync(runFile(runId), "utf8"));
  run.results.push(id);
  writeAtomic(runFile(runId), run);
  return id;
}

export function solution1d(n: number, title: string): [Record<string, number[]>, object] {
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  return [
    { x, computed: x.map((v) => Math.sin(2 * Math.PI * v)), expected: x.map((v) => Math.sin(2 * Math.PI * v) * 1.05) },
    { title, labels: { x: "position", y: "amplitude" } },
  ];
}

export const runExists = (id: string): boolean => existsSync(runFile(id));
