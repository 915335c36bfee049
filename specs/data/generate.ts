/**
 * Generates the small data files of the seed tasks in specs/data/:
 *
 *   npx tsx specs/data/generate.ts
 *
 * Deterministic (fixed seeds, mulberry32 from src/backends/init.ts); each file
 * is written atomically (a temporary file, then a rename). The tests compare
 * the committed files with `generateAll()`, so edit this script, not the data.
 * `char_lm.txt` (prose for the character LSTM) is written by hand and is not
 * generated here.
 */
import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng } from "../../src/runtime/init.js";

const HERE = dirname(fileURLToPath(import.meta.url));

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** A whole number in [lo, hi]. */
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));

// ---------------------------------------------------------------- ab_recognizer.seq

/** y_t = 1 iff x_t = B and an A occurred since the last B (or since the start), else 0. */
export function abTargets(x: string): number[][] {
  let sawA = false;
  return [...x].map((c) => {
    if (c === "A") {
      sawA = true;
      return [0];
    }
    if (c === "B") {
      const y = sawA ? 1 : 0;
      sawA = false;
      return [y];
    }
    return [0];
  });
}

function abLines(seed: number, count: number, length: (rng: Rng) => number): string {
  const rng = new Rng(seed);
  const rows = Array.from({ length: count }, () => {
    const x = Array.from({ length: length(rng) }, () => "ABC"[int(rng, 0, 2)]).join("");
    return { x, y: abTargets(x) };
  });
  return jsonl(rows);
}

// ---------------------------------------------------------------- seq_completion.seq

const SEQ_TRAIN = "AA1212 AC1231 AD1221 AE1213 BA2312 BB2323 BC2331 BE2313 CB3123 CC3131 CD3121 CE3113 DA2112 DB2123 DC2131 DD2121 EA1312 EB1323 ED1321 EE1313";
const SEQ_TEST = "AB1223 BD2321 CA3112 DE2113 EC1331";

/** `AA1212` -> { x: "AA", y: "1212" }: x over letters [A..E], y over digits [1, 2, 3], one character per token. */
const seqItems = (items: string) => jsonl(items.split(" ").map((s) => ({ x: s.slice(0, 2), y: s.slice(2) })));

// ---------------------------------------------------------------- seq2seq_attention.seq

/** Digit strings of length 3..6 and their reversal: x the digits, y_in "<bos>" + reversal, y reversal + "<eos>". */
function reverseLines(seed: number, count: number): string {
  const rng = new Rng(seed);
  const rows = Array.from({ length: count }, () => {
    const x = Array.from({ length: int(rng, 3, 6) }, () => String(int(rng, 0, 9)));
    const r = [...x].reverse();
    return { x, y_in: ["<bos>", ...r], y: [...r, "<eos>"] };
  });
  return jsonl(rows);
}

// ---------------------------------------------------------------- narx.seq, tdnn.seq

/**
 * A NARX-style series: y_t = 0.6 y_{t-1} - 0.1 y_{t-2} + tanh(x_{t-1}) + e_t,
 * x_t uniform in [-1, 1] (the exogenous input, `x` in the specs), e_t normal
 * with std 0.02, after 100 discarded warm-up steps. Columns x, y (narx.seq's
 * y_prev reads column y).
 */
function series(seed: number, rows: number): string {
  const rng = new Rng(seed);
  const warm = 100;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = 0; t < rows + warm; t++) {
    const x = rng.uniform(1);
    const y1 = ys[t - 1] ?? 0;
    const y2 = ys[t - 2] ?? 0;
    const xPrev = xs[t - 1] ?? 0;
    ys.push(0.6 * y1 - 0.1 * y2 + Math.tanh(xPrev) + 0.02 * rng.normal());
    xs.push(x);
  }
  const lines = ["x,y"];
  for (let t = warm; t < rows + warm; t++) lines.push(`${xs[t]!.toFixed(6)},${ys[t]!.toFixed(6)}`);
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------- all files

/** The generated files, by name, with their contents. */
export function generateAll(): Record<string, string> {
  return {
    "ab_recognizer.jsonl": abLines(1, 500, (rng) => int(rng, 3, 12)),
    "ab_recognizer_test5.jsonl": abLines(2005, 200, () => 5),
    "ab_recognizer_test20.jsonl": abLines(2020, 200, () => 20),
    "seq_completion_train.jsonl": seqItems(SEQ_TRAIN),
    "seq_completion_test.jsonl": seqItems(SEQ_TEST),
    // No trailing newline: char_rnn_hello's vocabulary is [h, e, l, o].
    "hello.txt": "hello",
    "xor.jsonl": jsonl([
      { x: [0, 0], y: [0] },
      { x: [0, 1], y: [1] },
      { x: [1, 0], y: [1] },
      { x: [1, 1], y: [0] },
    ]),
    "reverse.jsonl": reverseLines(7, 2000),
    "series.csv": series(11, 2000),
  };
}

/** Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a file. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function main(): void {
  for (const [name, text] of Object.entries(generateAll())) {
    writeAtomic(join(HERE, name), text);
    console.log(`${name}: ${text.length} bytes`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
