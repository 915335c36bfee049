/**
 * Engine selection with the packages of this checkout: @tensorflow/tfjs-node is
 * an optional dependency that is normally absent here (its install downloads
 * libtensorflow), so the default engine is wasm. engine-native.test.ts covers
 * the case where it loads.
 */
import { describe, expect, it } from "vitest";
import { BACKENDS, EngineError, loadEngine } from "../../../src/backends/tfjs/engine.js";

/** Whether @tensorflow/tfjs-node can be imported in this process. */
async function nativePresent(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-node" as string);
    return true;
  } catch {
    return false;
  }
}

describe("loadEngine", () => {
  // First in the file: nothing is cached yet, so this is the real default choice.
  it("picks tensorflow when @tensorflow/tfjs-node loads, else wasm", async () => {
    const native = await nativePresent();
    const engine = await loadEngine();
    expect(engine.backend).toBe(native ? "tensorflow" : "wasm");
    expect(engine.tf.getBackend()).toBe(engine.backend);
    // It runs ops.
    const y = engine.tf.add(engine.tf.tensor([1, 2]), engine.tf.tensor([3, 4]));
    expect(Array.from(await y.data())).toEqual([4, 6]);
    y.dispose();
    // And asking again gives the same engine.
    expect(await loadEngine()).toBe(engine);
  });

  it('loadEngine("cpu") gives the cpu backend', async () => {
    const engine = await loadEngine("cpu");
    expect(engine.backend).toBe("cpu");
    expect(engine.tf.getBackend()).toBe("cpu");
    expect(await loadEngine("cpu")).toBe(engine);
  });

  it('loadEngine("wasm") gives the wasm backend, and cpu again after it', async () => {
    const wasm = await loadEngine("wasm");
    expect(wasm.backend).toBe("wasm");
    expect(wasm.tf.getBackend()).toBe("wasm");
    const cpu = await loadEngine("cpu");
    expect(cpu.backend).toBe("cpu");
    expect(cpu.tf.getBackend()).toBe("cpu");
  });

  it('loadEngine("tensorflow") throws an EngineError saying what to install when tfjs-node is missing', async () => {
    if (await nativePresent()) return; // nothing to test where it is installed
    const before = (await loadEngine("cpu")).tf.getBackend();
    const err = await loadEngine("tensorflow").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain("tensorflow backend");
    expect(message).toContain("not available");
    expect(message).toContain("install @tensorflow/tfjs-node");
    // The failed attempt leaves the current backend alone.
    expect((await loadEngine("cpu")).tf.getBackend()).toBe(before);
  });

  it("lists the backends fastest first", () => {
    expect(BACKENDS).toEqual(["tensorflow", "wasm", "cpu"]);
  });
});
