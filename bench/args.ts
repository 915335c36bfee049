/** The benchmarks' command-line options (kept apart so that reading them loads nothing else). */

/** The value after `name` in argv (the benchmarks' options). */
export function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
