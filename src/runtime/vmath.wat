;; exp, sigmoid and tanh of f32 rows on 128-bit SIMD: the transcendental maps
;; of an emitted f32 model (src/runtime/gemm-simd.ts calls them on the model's
;; buffers, in this module's memory). scripts/gemm-wasm.ts assembles this file
;; into the module of gemm.wat (once: there is no f64 version; f64 models keep
;; Math.exp and Math.tanh).
;; Its one placeholder is gemm.wat's ({MADD} a b c) on f32x4 (the polynomials'
;; steps: fused in the relaxed-SIMD build).
;;
;; exp is Cephes's expf, four lanes at a time: x = n ln2 + r with n the
;; nearest integer to x log2(e) and |r| <= ln2/2 (ln2 in two parts, the first
;; exact in 9 bits, so n ln2_hi is exact for |n| < 2^15), e^r by its degree-7
;; polynomial, times 2^n as two powers of two (each a normal float for the
;; clamped x, so results down to the subnormals come out right). x is clamped
;; to [-104, 89] first: e^-104 is below the smallest f32, e^89 above the
;; largest (0 and Infinity, as Math.exp rounded to f32 gives them). NaN stays
;; NaN. Its error is 1-2 ulp of f32 (test/runtime/vmath.test.ts measures it).
;; sigmoid(x) = 1 / (1 + e^-x) (e^x / (1 + e^x) for x < 0). tanh is Cephes's tanhf: x - x^3/3 + ... (a
;; degree-11 odd polynomial) for |x| < 0.625, else sign(x) (1 - 2 / (e^2|x| + 1)).

  ;; e^x in each lane.
  (func $exp4 (param $x v128) (result v128)
    (local $t v128) (local $n v128) (local $r v128) (local $p v128) (local $k v128) (local $h v128)
    (local.set $x (f32x4.pmax (f32x4.pmin (local.get $x) (f32x4.splat (f32.const 89))) (f32x4.splat (f32.const -104))))
    ;; n, the nearest integer to x log2(e), as a float and as an integer at once: t = x log2(e) + 1.5 2^23
    ;; lies in [2^23, 2^24), where floats are the integers, so t - 1.5 2^23 is n rounded to nearest even
    ;; and t's bits less those of 1.5 2^23 are n (|n| < 2^22 here).
    (local.set $t (f32x4.add (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341))) (f32x4.splat (f32.const 12582912))))
    (local.set $n (f32x4.sub (local.get $t) (f32x4.splat (f32.const 12582912))))
    (local.set $k (i32x4.sub (local.get $t) (i32x4.splat (i32.const 0x4b400000))))
    ;; r = x - n ln2_hi - n ln2_lo
    (local.set $r ({MADD} (local.get $n) (f32x4.splat (f32.const -0.693359375)) (local.get $x)))
    (local.set $r ({MADD} (local.get $n) (f32x4.splat (f32.const 2.12194440e-4)) (local.get $r)))
    (local.set $p ({MADD} (f32x4.splat (f32.const 1.9875691500e-4)) (local.get $r) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p ({MADD} (local.get $p) (local.get $r) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p ({MADD} (local.get $p) (local.get $r) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p ({MADD} (local.get $p) (local.get $r) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p ({MADD} (local.get $p) (local.get $r) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; e^r = p r^2 + r + 1
    (local.set $p (f32x4.add ({MADD} (local.get $p) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r)) (f32x4.splat (f32.const 1))))
    ;; 2^n = 2^h 2^(n-h), h = n >> 1: exponent fields h + 127 and n - h + 127.
    (local.set $h (i32x4.shr_s (local.get $k) (i32.const 1)))
    (local.set $p (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $h) (i32x4.splat (i32.const 127))) (i32.const 23))))
    (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $h)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  ;; 1 / (1 + e^-x) for x >= 0; e^x / (1 + e^x) below, so that e^-|x| is never
  ;; out of range and the far negative side keeps its subnormals.
  (func $sigmoid4 (param $x v128) (result v128)
    (local $e v128) (local $s v128)
    (local.set $e (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $s (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (local.get $e))))
    (v128.bitselect (f32x4.mul (local.get $e) (local.get $s)) (local.get $s) (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0)))))

  (func $tanh4 (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $p v128) (local $big v128)
    (local.set $a (f32x4.abs (local.get $x)))
    ;; |x| >= 0.625: 1 - 2 / (e^2|x| + 1), with the sign of x
    (local.set $big (f32x4.sub (f32x4.splat (f32.const 1))
                               (f32x4.div (f32x4.splat (f32.const 2))
                                          (f32x4.add (call $exp4 (f32x4.add (local.get $a) (local.get $a))) (f32x4.splat (f32.const 1))))))
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))
    ;; |x| < 0.625: x + x z p(z), z = x^2
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p ({MADD} (f32x4.splat (f32.const -5.70498872745e-3)) (local.get $z) (f32x4.splat (f32.const 2.06390887954e-2))))
    (local.set $p ({MADD} (local.get $p) (local.get $z) (f32x4.splat (f32.const -5.37397155531e-2))))
    (local.set $p ({MADD} (local.get $p) (local.get $z) (f32x4.splat (f32.const 1.33314422036e-1))))
    (local.set $p ({MADD} (local.get $p) (local.get $z) (f32x4.splat (f32.const -3.33332819422e-1))))
    (local.set $p ({MADD} (f32x4.mul (local.get $p) (local.get $z)) (local.get $x) (local.get $x)))
    (v128.bitselect (local.get $p) (local.get $big) (f32x4.lt (local.get $a) (f32x4.splat (f32.const 0.625)))))

  ;; f of the lane, by number: 0 exp, 1 sigmoid, 2 tanh (gemm-simd.ts's VMATH).
  (func $apply (param $f i32) (param $x v128) (result v128)
    (if (result v128) (i32.eqz (local.get $f))
      (then (call $exp4 (local.get $x)))
      (else (if (result v128) (i32.eq (local.get $f) (i32.const 1))
        (then (call $sigmoid4 (local.get $x)))
        (else (call $tanh4 (local.get $x)))))))

  ;; dst(i, j) = f(src(i, j)) for i < rows, j < cols: row i of src at src + i*ss
  ;; (bytes), of dst at dst + i*ds, elements adjacent in a row. dst may be src.
  (func (export "vmath_f32") (param $f i32) (param $rows i32) (param $cols i32) (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32)
    (local $s i32) (local $d i32) (local $end i32) (local $tail i32)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols))) (then (return)))
    (loop $rows
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      ;; whole vectors, then the last cols % 4 elements one lane at a time
      (local.set $tail (i32.add (local.get $src) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
      (local.set $end (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
      (block $whole
        (loop $vectors
          (br_if $whole (i32.ge_u (local.get $s) (local.get $tail)))
          ;; f's function called directly, not through $apply: a call less per vector (V8 inlines no calls here)
          (if (i32.eqz (local.get $f))
            (then (v128.store (local.get $d) (call $exp4 (v128.load (local.get $s)))))
            (else (if (i32.eq (local.get $f) (i32.const 1))
              (then (v128.store (local.get $d) (call $sigmoid4 (v128.load (local.get $s)))))
              (else (v128.store (local.get $d) (call $tanh4 (v128.load (local.get $s))))))))
          (local.set $s (i32.add (local.get $s) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br $vectors)))
      (block $done
        (loop $lanes
          (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
          (f32.store (local.get $d) (f32x4.extract_lane 0 (call $apply (local.get $f) (v128.load32_splat (local.get $s)))))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (br $lanes)))
      (local.set $src (i32.add (local.get $src) (local.get $ss)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ds)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))
