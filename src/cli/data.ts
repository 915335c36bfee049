/** Loading a data file for a command: an unreadable file or an unknown format is exit 2, data that does not fit is reported (exit 1). */
import type { Dataset } from "../backends/tfjs/dataset.js";
import type { LoadOptions } from "../backends/tfjs/dataset.js";
import type { Graph } from "../graph/graph.js";
import { UserIoError } from "./io.js";

/** The result of reading data, or exit code 1 after printing every problem found in it. */
export async function readingData<T>(read: () => T): Promise<T | number> {
  const [{ DataError }, { IoError, UsageError }] = await Promise.all([import("../runtime/problems.js"), import("../runtime/errors.js")]);
  try {
    return read();
  } catch (e) {
    if (e instanceof IoError || e instanceof UsageError) throw new UserIoError(e.message);
    if (e instanceof DataError) {
      process.stderr.write(`seqc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** The data set, or exit code 1 after printing every problem found in the data. */
export async function loadData(path: string, graph: Graph, opts: LoadOptions): Promise<Dataset | number> {
  const { loadDataset } = await import("../backends/tfjs/dataset.js");
  return readingData(() => loadDataset(path, graph, opts));
}
