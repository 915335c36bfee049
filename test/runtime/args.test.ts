/**
 * The emitted trainer's option parser (src/runtime/args.ts): `--name value`,
 * `--name=value`, flags and short aliases, typed values, and a UsageError
 * (exit 2) naming the option for every mistake; num's range check and str;
 * the flags of a training run, read alike for seqc train and an emitted trainer.
 */
import { describe, expect, it } from "vitest";
import { num, parseArgs, parsedOf, str, TRAIN_FLAGS, trainFlags } from "../../src/runtime/args.js";
import { UsageError } from "../../src/runtime/errors.js";

const SPEC = { epochs: "int", lr: "number", out: "string", verbose: "flag" } as const;
const ALIASES = { o: "out", v: "verbose" };
const parse = (...argv: string[]) => Object.fromEntries(parseArgs(argv, SPEC, ALIASES).values);
const usage = (argv: string[], message: string) => {
  expect(() => parseArgs(argv, SPEC, ALIASES)).toThrow(UsageError);
  expect(() => parseArgs(argv, SPEC, ALIASES)).toThrow(message);
};

describe("parseArgs", () => {
  it("reads separate and inline values, flags and aliases, typed", () => {
    expect(parse("--epochs", "3", "--lr=1e-3", "-o", "run/1", "-v")).toEqual({ epochs: 3, lr: 0.001, out: "run/1", verbose: true });
    expect(parse("-o=a=b", "--verbose")).toEqual({ out: "a=b", verbose: true });
    expect(parse()).toEqual({});
  });

  it("takes the next argument as the value even when it starts with a dash; the last of a repeat wins", () => {
    expect(parse("--lr", "-0.5", "--out", "-x")).toEqual({ lr: -0.5, out: "-x" });
    expect(parse("--epochs", "1", "--epochs=2")).toEqual({ epochs: 2 });
    expect(parse("--out=")).toEqual({ out: "" });
  });

  it("refuses arguments that are no options, and unknown options", () => {
    usage(["data.txt"], 'unexpected argument "data.txt"');
    usage(["-"], 'unexpected argument "-"');
    usage(["--verbose", "yes"], 'unexpected argument "yes"');
    usage(["--nope=3"], "unknown option --nope");
    usage(["-q"], "unknown option -q");
  });

  it("refuses a flag with a value and an option without one", () => {
    usage(["--verbose=yes"], "--verbose takes no value");
    usage(["-v=1"], "--verbose takes no value");
    usage(["--epochs", "2", "--out"], "--out needs a value");
  });

  it("refuses values that are no numbers, or no whole numbers", () => {
    usage(["--lr", "fast"], '--lr needs a number, not "fast"');
    usage(["--lr="], '--lr needs a number, not ""');
    usage(["--lr", " "], '--lr needs a number, not " "');
    usage(["--lr", "Infinity"], '--lr needs a number, not "Infinity"');
    usage(["--epochs", "2.5"], "--epochs needs a whole number, not 2.5");
  });
});

describe("num and str", () => {
  const a = parseArgs(["--epochs", "0", "--lr", "0.5", "--out", "dir"], SPEC);

  it("give the values, undefined when not given", () => {
    expect(num(a, "lr")).toBe(0.5);
    expect(num(a, "lr", (n) => n > 0, "a positive number")).toBe(0.5);
    expect(str(a, "out")).toBe("dir");
    expect(num(parseArgs([], SPEC), "lr", () => false, "never")).toBeUndefined();
    expect(str(parseArgs([], SPEC), "out")).toBeUndefined();
  });

  it("num refuses a value that fails its check, saying what was expected", () => {
    expect(() => num(a, "epochs", (n) => n >= 1, "at least 1")).toThrow(UsageError);
    expect(() => num(a, "epochs", (n) => n >= 1, "at least 1")).toThrow("--epochs 0: expected at least 1");
  });
});

describe("the flags of a training run (TRAIN_FLAGS, trainFlags): one reading for seqc train and an emitted trainer", () => {
  /** What trainFlags makes of a command line as an emitted trainer reads it, and as seqc train hands it over from yargs (text). */
  const both = (argv: string[]) => {
    const fromArgv = () => trainFlags(parseArgs(argv, TRAIN_FLAGS));
    const given: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) given[argv[i]!.slice(2)] = argv[i + 1]!;
    const fromYargs = () => trainFlags(parsedOf(given, TRAIN_FLAGS));
    return [fromArgv, fromYargs];
  };

  it("gives the settings the flags override, and --max-memory", () => {
    for (const read of both(["--epochs", "3", "--batch", "8", "--lr", "1e-3", "--weight-decay", "0", "--validation", "0.25", "--warmup", "5", "--lr-schedule", "step(every: 10)", "--optimizer", "adam", "--max-memory", "0.5"])) {
      expect(read()).toEqual({
        overrides: { epochs: 3, batch: 8, lr: 0.001, weightDecay: 0, validation: 0.25, warmup: 5, lrSchedule: { name: "step", options: { every: 10 } }, optimizer: "adam" },
        maxMemory: 0.5,
      });
    }
    expect(trainFlags(parsedOf({}, TRAIN_FLAGS))).toEqual({ overrides: {} });
  });

  it("the last of a repeated flag counts, as yargs gives it (an array)", () => {
    expect(trainFlags(parsedOf({ epochs: ["1", "2"] }, TRAIN_FLAGS)).overrides).toEqual({ epochs: 2 });
  });

  it("refuses every bad value with a UsageError naming the flag, alike from both readers", () => {
    const cases: [string[], string][] = [
      [["--batch", "0"], "--batch 0: expected a whole number >= 1"],
      [["--validation", "1"], "--validation 1: expected a fraction in [0, 1)"],
      [["--lr", "abc"], '--lr needs a number, not "abc"'],
      [["--lr", "0"], "--lr 0: expected a number > 0"],
      [["--epochs", "-1"], "--epochs -1: expected a whole number >= 0"],
      [["--warmup", "1.5"], "--warmup needs a whole number, not 1.5"],
      [["--clip", "-1"], "--clip -1: expected a number >= 0"],
      [["--weight-decay", "-0.1"], "--weight-decay -0.1: expected a number >= 0"],
      [["--bptt", "-2"], "--bptt -2: expected a whole number >= 0"],
      [["--seed", "1.5"], "--seed needs a whole number, not 1.5"],
      [["--patience", "-1"], "--patience -1: expected a whole number >= 0"],
      [["--max-memory", "lots"], '--max-memory needs a number, not "lots"'],
      [["--lr-schedule", "cosine"], "--lr-schedule cosine: cosine needs steps"],
      [["--optimizer", "lbfgs"], "--optimizer lbfgs: use sgd, momentum, adam, rmsprop"],
    ];
    for (const [argv, message] of cases) {
      for (const read of both(argv)) {
        expect(read, argv.join(" ")).toThrow(UsageError);
        expect(read, argv.join(" ")).toThrow(message);
      }
    }
  });
});
