/** Helpers for tests of data files. */

/** The lines of a DataError's message after the first (one per problem). */
export function problemLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return (e as Error).message.split("\n").slice(1).map((l) => l.trim());
  }
  throw new Error("expected a DataError");
}
