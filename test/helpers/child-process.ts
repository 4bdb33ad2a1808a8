/**
 * Child processes for crash tests: spawn a script, read its stdout line by line, and let the caller decide
 * (from progress lines, never from elapsed time) when to SIGKILL or SIGTERM it.
 */
import type { Subprocess } from "bun";

export interface ChildRun {
  /** Every stdout line, in order. */
  lines: string[];
  exitCode: number | null;
  signal: string | null;
  /** True when the caller killed it (SIGKILL) and it died of that. */
  killed: boolean;
}

export interface ChildControl {
  proc: Subprocess<"ignore", "pipe", "inherit" | "pipe">;
  /** SIGKILLs the child (once). */
  kill(): void;
}

/**
 * Runs `cmd` until it exits; `onLine` sees each stdout line and may kill the child through `ctl`.
 * `timeoutMs` is a safety net only (a hung child fails the test instead of hanging it).
 */
export async function runChild(
  cmd: string[],
  env: Record<string, string | undefined>,
  onLine: (line: string, ctl: ChildControl) => void | Promise<void>,
  opts: { timeoutMs?: number; stderr?: "inherit" | "pipe" } = {},
): Promise<ChildRun> {
  const proc = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: opts.stderr ?? "inherit", stdin: "ignore" });
  let killed = false;
  const ctl: ChildControl = {
    proc,
    kill() {
      if (killed) return;
      killed = true;
      proc.kill("SIGKILL");
    },
  };
  const guard = setTimeout(() => {
    console.error(`child ${cmd.join(" ")} ran past ${opts.timeoutMs ?? 120_000} ms: killing it`);
    proc.kill("SIGKILL");
  }, opts.timeoutMs ?? 120_000);
  const lines: string[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    const reader = proc.stdout.getReader();
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(chunk, { stream: true });
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        await onLine(line, ctl);
      }
    }
    if (buffered) {
      lines.push(buffered);
      await onLine(buffered, ctl);
    }
    await proc.exited;
  } finally {
    clearTimeout(guard);
  }
  return { lines, exitCode: proc.exitCode, signal: (proc.signalCode as string | null) ?? null, killed: killed && proc.signalCode === "SIGKILL" };
}
