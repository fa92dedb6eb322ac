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

/// Writes `value` as JSON to `file` as any careful writer does: a temporary name, then a rename.
export function writeAtomic(file: string, value: unknown): void {
  writeAtomicText(file, JSON.stringify(value, null, 2));
}

function writeAtomicText(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.tmp-${randomUUID()}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const runFile = (id: string, root = storage()) => path.join(root, "runs", `${id}.json`);

export interface RunSpec {
  name: string;
  equation?: string;
  circuit?: string;
  /// RFC 3339; now when left out.
  timestamp?: string;
  status?: "running" | "completed" | "failed";
  metadata?: Record<string, unknown>;
}

export function writeRun(spec: RunSpec): string {
  const id = randomUUID();
  writeAtomic(runFile(id), {
    id,
    name: spec.name,
    timestamp: spec.timestamp ?? new Date().toISOString(),
    equation: spec.equation ?? null,
    circuit: spec.circuit ?? null,
    status: spec.status ?? "running",
    metadata: spec.metadata ?? {},
    results: [],
  });
  return id;
}

/// Adds a result to a run, in the suite's storage or in `root`.
export function addResult(runId: string, resultType: string, data: Record<string, unknown>, display: object, root = storage()): string {
  return addResultWithId(runId, randomUUID(), resultType, data, display, root);
}

export function solution1d(n: number, title: string): [Record<string, number[]>, object] {
  const x = Array.from({ length: n }, (_, i) => i / (n - 1));
  return [
    { x, computed: x.map((v) => Math.sin(2 * Math.PI * v)), expected: x.map((v) => Math.sin(2 * Math.PI * v) * 1.05) },
    { title, labels: { x: "position", y: "amplitude" } },
  ];
}

export const runExists = (id: string, root = storage()): boolean => existsSync(runFile(id, root));

/// A run's file as any other tool would read it.
export const readRun = (id: string, root = storage()): Record<string, unknown> =>
  JSON.parse(readFileSync(runFile(id, root), "utf8"));

/// Writes a float64 array (row-major values, 1-D unless `shape` says otherwise) as `files/{resultId}_{field}.npy`
/// (NumPy format 1.0) and returns its reference.
export function writeNpy(resultId: string, field: string, values: ArrayLike<number>, shape: number[] = [values.length]): object {
  const file = `${resultId}_${field}.npy`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const prefix = Buffer.alloc(10);
  prefix.write("\x93NUMPY", 0, "latin1");
  prefix.writeUInt8(1, 6);
  prefix.writeUInt8(0, 7);
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(8 * values.length);
  for (let i = 0; i < values.length; i++) data.writeDoubleLE(values[i], 8 * i);
  const target = path.join(storage(), "files", file);
  const tmp = path.join(storage(), "files", `.tmp-${randomUUID()}`);
  writeFileSync(tmp, Buffer.concat([prefix, Buffer.from(header, "latin1"), data]));
  renameSync(tmp, target);
  return { $npy: file, shape, dtype: "<f8" };
}

/// Like `addResult`, with the result id chosen first so that array files can be named after it.
export function addResultWithId(
  runId: string,
  resultId: string,
  resultType: string,
  data: Record<string, unknown>,
  display: object,
  root = storage(),
): string {
  writeAtomic(path.join(root, "results", `${resultId}.json`), {
    id: resultId,
    run_id: runId,
    result_type: resultType,
    timestamp: new Date().toISOString(),
    data,
    display,
  });
  // The run file may hold NaN or Infinity (Python writes them bare), which JSON.parse refuses: add the id to
  // its text instead of parsing it.
  const text = readFileSync(runFile(runId, root), "utf8");
  const results = /"results":\s*\[([^\]]*)\]/.exec(text);
  if (!results) throw new Error(`run ${runId} has no results list`);
  const ids = results[1].trim() ? `${results[1].trimEnd()}, "${resultId}"` : `"${resultId}"`;
  writeAtomicText(runFile(runId, root), text.replace(results[0], `"results": [${ids}]`));
  return resultId;
}
