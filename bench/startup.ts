/**
 * Benchmark of the CLI's start-up: `node bin/seqc.js check specs/<spec>`
 * against `node -e ''` (what any Node CLI pays before its first line runs),
 * run alternately N times each so that both see the same load on a shared
 * machine. The goal is a check of one spec within 3x bare Node's wall time.
 *
 * Wall time: measured here around spawnSync (the spawn's own cost is in both).
 * CPU time: the child's user + system time, all threads, from its start to its
 * exit: each child is started with `--require` of a tiny CommonJS hook that
 * writes `process.cpuUsage()` on fd 3 when the process exits (spawnSync
 * collects it as output[3]). spawnSync gives no resource usage of its own and
 * /usr/bin/time is not everywhere; the hook is the same for both commands and
 * costs both the same (one small file read before the script).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, repoRoot } from "./check.js";

export interface StartupBenchOptions {
  /** Runs of each command (interleaved), after one unmeasured run of each; default 15. */
  runs?: number;
  /** The spec `seqc check` checks, relative to the repository root; default specs/ab_recognizer.seq. */
  spec?: string;
  /** Where to print (default console.log). */
  log?: (line: string) => void;
}

/** The hook: the process's CPU time at exit, in microseconds, as JSON on fd 3. */
const CPU_HOOK = `process.on("exit", () => { const u = process.cpuUsage(); try { require("node:fs").writeSync(3, JSON.stringify(u)); } catch {} });\n`;

interface Sample {
  /** Milliseconds. */
  wall: number;
  /** Milliseconds of user + system CPU time of the child. */
  cpu: number;
}

function runOnce(hook: string, args: string[], cwd: string): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--require", hook, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench: \`node ${args.join(" ")}\` exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
  const out = r.output[3];
  if (!out) throw new Error(`bench: \`node ${args.join(" ")}\` reported no CPU time`);
  const { user, system } = JSON.parse(String(out)) as { user: number; system: number };
  return { wall, cpu: (user + system) / 1000 };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

/** Runs the start-up benchmark and prints its table. */
export function benchStartup(opts: StartupBenchOptions = {}): void {
  const log = opts.log ?? ((l: string) => console.log(l));
  const runs = opts.runs ?? 15;
  const spec = opts.spec ?? "specs/ab_recognizer.seq";
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "seqc-bench-startup-"));
  const hook = join(dir, "cpu-hook.cjs");
  writeFileSync(hook, CPU_HOOK);
  const commands = [
    { name: "node -e ''", args: ["-e", ""] },
    { name: `seqc check ${spec}`, args: [join(root, "bin", "seqc.js"), "check", spec] },
  ];
  const samples: Sample[][] = commands.map(() => []);
  try {
    for (const c of commands) runOnce(hook, c.args, root);
    for (let i = 0; i < runs; i++) commands.forEach((c, k) => samples[k]!.push(runOnce(hook, c.args, root)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [node, seqc] = samples.map((s) => ({ wall: median(s.map((x) => x.wall)), cpu: median(s.map((x) => x.cpu)) })) as [{ wall: number; cpu: number }, { wall: number; cpu: number }];
  // The ratio of each interleaved pair too: on a loaded machine neighbouring runs share the load.
  const pairWall = median(samples[1]!.map((s, i) => s.wall / samples[0]![i]!.wall));
  const pairCpu = median(samples[1]!.map((s, i) => s.cpu / samples[0]![i]!.cpu));
  const width = Math.max(...commands.map((c) => c.name.length));
  log(`start-up: ${runs} runs of each command, interleaved, after one unmeasured run of each; medians (ms)`);
  log(`  ${"".padEnd(width)}  ${pad("wall", 8)}  ${pad("cpu", 8)}`);
  commands.forEach((c, k) => {
    const m = k === 0 ? node : seqc;
    log(`  ${c.name.padEnd(width)}  ${pad(m.wall.toFixed(1), 8)}  ${pad(m.cpu.toFixed(1), 8)}`);
  });
  log(`  ${"ratio of the medians".padEnd(width)}  ${pad(`${(seqc.wall / node.wall).toFixed(2)}x`, 8)}  ${pad(`${(seqc.cpu / node.cpu).toFixed(2)}x`, 8)}   (goal: wall within 3x)`);
  log(`  ${"median ratio of pairs".padEnd(width)}  ${pad(`${pairWall.toFixed(2)}x`, 8)}  ${pad(`${pairCpu.toFixed(2)}x`, 8)}`);
  log(`  cpu: user + system time of the child (all threads), from process.cpuUsage() at exit`);
}
