import { describe, expect, it } from "vitest";
import { DimEnv, Poly } from "../../src/check/dims.js";

function setup() {
  const env = new DimEnv();
  const H = env.declare({ name: "H", multiple: 1, value: 128 });
  const X = env.declare({ name: "X", multiple: 1 });
  const T = env.declare({ name: "T", multiple: 1 });
  const T4 = env.declare({ name: "S", multiple: 4 });
  return { env, H, X, T, T4 };
}

const c = Poly.const;

describe("Poly", () => {
  it("4*H equals H + H + 2*H", () => {
    const { env, H } = setup();
    expect(env.equal(c(4).mul(H), H.add(H).add(c(2).mul(H)))).toBe(true);
    expect(env.equal(c(4).mul(H), c(3).mul(H))).toBe(false);
  });

  it("compares with bound values substituted", () => {
    const { env, H, X } = setup();
    expect(env.equal(H, c(128))).toBe(true);
    expect(env.equal(X, c(128))).toBe(false);
    expect(env.value(c(4).mul(H).mul(X.add(H)).add(c(4).mul(H)))).toBeUndefined();
  });

  it("formats the LSTM parameter count symbolically", () => {
    const { env, H, X } = setup();
    const count = c(4).mul(H).mul(X.add(H)).add(c(4).mul(H));
    expect(env.format(count)).toBe("4*H*H + 4*H*X + 4*H");
  });

  it("divides exactly by constants and monomials, and refuses otherwise", () => {
    const { env, H, T } = setup();
    expect(env.format(c(4).mul(H).divExact(c(2))!)).toBe("2*H");
    expect(env.format(H.mul(T).divExact(T)!)).toBe("H");
    expect(T.divExact(c(2))).toBeUndefined();
    expect(T.add(c(1)).divExact(T)).toBeUndefined();
  });

  it("proves T/2 and T/4 for a dim declared a multiple of 4, but not T/8", () => {
    const { env, T4 } = setup();
    expect(env.format(env.divide(T4, c(2))!)).toBe("S/2");
    expect(env.format(env.divide(T4, c(4))!)).toBe("S/4");
    expect(env.divide(T4, c(8))).toBeUndefined();
    expect(env.format(c(3).mul(T4).divExact(c(2))!)).toBe("3*S/2");
  });

  it("divides numerically when every dim is bound", () => {
    const { env, H } = setup();
    expect(env.value(env.divide(H.add(c(2)), c(10))!)).toBe(13);
    expect(env.divide(H.add(c(1)), c(2))).toBeUndefined();
  });

  it("describes the bound dims that occur", () => {
    const { env, H, X } = setup();
    expect(env.where([H.add(X)])).toBe("where H = 128");
    expect(env.where([X])).toBeUndefined();
  });

  it("formats negative and constant terms", () => {
    const { env, T } = setup();
    expect(env.format(T.sub(c(3)))).toBe("T - 3");
    expect(env.format(c(0).sub(T))).toBe("-T");
    expect(env.format(c(0))).toBe("0");
  });
});
