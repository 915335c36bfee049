/** The emitter's identifiers of buffers (src/backends/ts/names.ts): from the kernel program's names, unique, never a word model.ts or JavaScript has. */
import { describe, expect, it } from "vitest";
import { bufferNames, labelText } from "../../../src/backends/ts/names.js";
import { ONE, type BufferDecl, type Label } from "../../../src/kernel/program.js";

const decl = (name: Label): BufferDecl => ({ name, size: ONE, kind: "float", doc: [] });

describe("bufferNames", () => {
  it("makes identifiers of spec names: dots and primes, a leading digit", () => {
    expect(bufferNames([decl(["h.W"]), decl(["c'"]), decl(["2x"])])).toEqual(["h_W", "c_next", "_2x"]);
  });

  it("keeps clear of JavaScript's words and the emitted class's members", () => {
    expect(bufferNames([decl(["new"]), decl(["grads"]), decl(["B"]), decl(["forward"])])).toEqual(["new_", "grads_", "B_", "forward_"]);
  });

  it("numbers repeated names", () => {
    expect(bufferNames([decl(["matmul"]), decl(["matmul"]), decl(["matmul"])])).toEqual(["matmul", "matmul_2", "matmul_3"]);
  });

  it("names a buffer after another by that one's identifier", () => {
    const bufs = [decl(["matmul"]), decl(["grads"]), decl(["matmul"]), decl(["d", { buf: 2 }]), decl(["d", { buf: 1 }])];
    const names = bufferNames(bufs);
    expect(names).toEqual(["matmul", "grads_", "matmul_2", "dmatmul_2", "dgrads_"]);
    expect(labelText(["adjoint of ", { buf: 2 }, " at every step"], names)).toBe("adjoint of matmul_2 at every step");
  });
});
