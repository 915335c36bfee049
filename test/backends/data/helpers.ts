/** Graphs for the data-layer tests: from a catalogue spec, or from a model written inline. */
import { graphOf, specGraph } from "../../helpers/spec.js";

export { graphOf, specGraph };

/** The lines of a DataError's message after the first (one per problem). */
export function problemLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return (e as Error).message.split("\n").slice(1).map((l) => l.trim());
  }
  throw new Error("expected a DataError");
}
