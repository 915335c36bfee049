/**
 * Engine selection when @tensorflow/tfjs-node loads. It is not installed here, so
 * a stand-in module registers a backend named "tensorflow" (the cpu backend's
 * class and kernels under that name), which is what importing tfjs-node does.
 */
import { describe, expect, it, vi } from "vitest";

vi.mock("@tensorflow/tfjs-node", async () => {
  const tf = await import("@tensorflow/tfjs");
  const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
  for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "tensorflow" });
  tf.registerBackend("tensorflow", () => new MathBackendCPU(), 3);
  return { default: tf };
});

describe("loadEngine with @tensorflow/tfjs-node present", () => {
  it("picks tensorflow by default", async () => {
    const { loadEngine } = await import("../../../src/backends/tfjs/engine.js");
    const engine = await loadEngine();
    expect(engine.backend).toBe("tensorflow");
    expect(engine.tf.getBackend()).toBe("tensorflow");
    const y = engine.tf.mul(engine.tf.tensor([1, 2]), 3);
    expect(Array.from(await y.data())).toEqual([3, 6]);
    y.dispose();
    expect((await loadEngine("tensorflow")).backend).toBe("tensorflow");
    expect((await loadEngine("cpu")).backend).toBe("cpu");
  });
});
