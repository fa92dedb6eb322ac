// Act: run the real `asgard` binary as a child process (beside the suite's shared monitor), for tests that need
// their own storage or flags.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const binary = process.env.ASGARD_BIN ?? path.resolve(__dirname, "../../../target/debug/asgard");

export interface Asgard {
  /// The URL the monitor printed (with its token, if it has one).
  url: string;
  /// Everything it printed on stdout so far.
  output: () => string;
  /// Ctrl-C, then waits for it to exit.
  stop: () => Promise<void>;
}

/// Starts `asgard ARGS` (with `env`, this process's environment by default) and resolves once it prints
/// "Asgard Monitor: URL".
export async function startAsgard(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Asgard> {
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "ignore"], env });
  let output = "";
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (chunk) => {
        output += chunk;
        const found = /Asgard Monitor: (http:\/\/\S+)/.exec(output);
        if (found) resolve(found[1]);
      });
      child.on("exit", (code) => reject(new Error(`asgard exited with ${code}: ${output}`)));
    });
    return { url, output: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
