/**
 * Loads TensorFlow.js and picks the engine: the native `tensorflow` backend when
 * @tensorflow/tfjs-node is installed and loads, else `wasm`, else the pure-JS
 * `cpu` backend. Loaded lazily: `seqc check` never comes here.
 */
export type Tf = typeof import("@tensorflow/tfjs");

export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface Engine {
  tf: Tf;
  backend: BackendName;
}

/** A backend that was asked for by name and cannot be had here. */
export class EngineError extends Error {}

async function tryBackend(tf: Tf, name: BackendName): Promise<boolean> {
  try {
    if (name === "tensorflow") await import("@tensorflow/tfjs-node" as string);
    if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

let loaded: Engine | undefined;

/** The engine: the named backend, or the fastest present. */
export async function loadEngine(preferred?: BackendName): Promise<Engine> {
  if (loaded && (preferred === undefined || loaded.backend === preferred)) return loaded;
  const tf = await import("@tensorflow/tfjs");
  // Production mode: no console advice from tfjs (seqc says which backend it uses).
  tf.env().set("PROD", true);
  const order: BackendName[] = preferred ? [preferred] : [...BACKENDS];
  for (const name of order) {
    if (await tryBackend(tf, name)) {
      await tf.ready();
      loaded = { tf, backend: name };
      return loaded;
    }
  }
  const why = preferred === "tensorflow" ? " (install @tensorflow/tfjs-node; its install downloads libtensorflow)" : "";
  throw new EngineError(`the ${preferred ?? "cpu"} backend of TensorFlow.js is not available${why}`);
}
