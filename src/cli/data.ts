/** Loading a data file for a command: an unreadable file is an I/O error (exit 2), data that does not fit is reported (exit 1). */
import type { Dataset } from "../backends/data/dataset.js";
import type { LoadOptions } from "../backends/data/load.js";
import type { Graph } from "../graph/graph.js";
import { UserIoError } from "./io.js";

/** The data set, or exit code 1 after printing every problem found in the data. */
export async function loadData(path: string, graph: Graph, opts: LoadOptions): Promise<Dataset | number> {
  const { loadDataset, DataError, DataReadError } = await import("../backends/data/load.js");
  try {
    return loadDataset(path, graph, opts);
  } catch (e) {
    if (e instanceof DataReadError) throw new UserIoError(e.message);
    if (e instanceof DataError) {
      process.stderr.write(`seqc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
