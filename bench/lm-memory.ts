/**
 * The child process of bench/lm.ts's peak-memory table: `node dist/bench/lm-memory.js ts|tfjs|layers H T
 * BACKEND` builds one contender of the char-LM at that size, runs 1 training step on random tokens, and
 * prints {"before": KiB, "peak": KiB}: the resident set after loading the libraries, and the peak
 * (process.resourceUsage().maxRSS).
 */
import type { BackendName } from "../src/backends/tfjs/engine.js";
import { memoryContender } from "./lm.js";

const [who, H, T, backend] = process.argv.slice(2);
if (!(who === "ts" || who === "tfjs" || who === "layers") || !(Number(H) > 0) || !(Number(T) > 0)) {
  console.error("usage: node dist/bench/lm-memory.js ts|tfjs|layers H T [BACKEND]");
  process.exit(2);
}
const { before, steps } = await memoryContender(who, { H: Number(H), T: Number(T) }, (backend ?? "wasm") as BackendName);
await steps(1);
console.log(JSON.stringify({ before, peak: process.resourceUsage().maxRSS }));
