;; Adam's update of f32 parameters on 128-bit SIMD (src/runtime/optim.ts calls
;; it through gemm-simd.ts when the parameters, their gradient and the two
;; slots are buffers of one `floats` block). scripts/gemm-wasm.ts assembles
;; this file into the module of gemm.wat, after vmath.wat.
;;
;; Two elements at a time in f64x2: each f32 promoted, every operation in f64
;; in the order optim.ts's JavaScript loop writes it, each result rounded to
;; f32 once when stored. Each f64x2 operation is its f64 operation per lane,
;; so the results are the JavaScript loop's, bit for bit (test/runtime/optim.test.ts).

  ;; i < n: g = grad[i]; m' = b1 m + (1 - b1) g; v' = b2 v + ((1 - b2) g) g;
  ;; m[i] = m', v[i] = v'; param[i] -= (lr (m' / c1)) / (sqrt(v' / c2) + eps).
  ;; p, g, m, v: byte addresses of f32 arrays of n elements.
  (func (export "adam_f32") (param $n i32) (param $p i32) (param $g i32) (param $m i32) (param $v i32)
      (param $lr f64) (param $b1 f64) (param $b2 f64) (param $c1 f64) (param $c2 f64) (param $eps f64)
    (local $pairs i32) (local $x v128) (local $mi v128) (local $vi v128)
    (local $sg f64) (local $sm f64) (local $sv f64)
    (local.set $pairs (i32.shr_u (local.get $n) (i32.const 1)))
    (block $whole
      (loop $two
        (br_if $whole (i32.eqz (local.get $pairs)))
        (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (local.set $mi (f64x2.add (f64x2.mul (f64x2.splat (local.get $b1)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
                                  (f64x2.mul (f64x2.splat (f64.sub (f64.const 1) (local.get $b1))) (local.get $x))))
        (local.set $vi (f64x2.add (f64x2.mul (f64x2.splat (local.get $b2)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
                                  (f64x2.mul (f64x2.mul (f64x2.splat (f64.sub (f64.const 1) (local.get $b2))) (local.get $x)) (local.get $x))))
        (v128.store64_lane 0 (local.get $m) (f32x4.demote_f64x2_zero (local.get $mi)))
        (v128.store64_lane 0 (local.get $v) (f32x4.demote_f64x2_zero (local.get $vi)))
        (v128.store64_lane 0 (local.get $p)
          (f32x4.demote_f64x2_zero
            (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))
                       (f64x2.div (f64x2.mul (f64x2.splat (local.get $lr)) (f64x2.div (local.get $mi) (f64x2.splat (local.get $c1))))
                                  (f64x2.add (f64x2.sqrt (f64x2.div (local.get $vi) (f64x2.splat (local.get $c2)))) (f64x2.splat (local.get $eps)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $m (i32.add (local.get $m) (i32.const 8)))
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
        (br $two)))
    ;; the last element of an odd n
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $sg (f64.promote_f32 (f32.load (local.get $g))))
        (local.set $sm (f64.add (f64.mul (local.get $b1) (f64.promote_f32 (f32.load (local.get $m)))) (f64.mul (f64.sub (f64.const 1) (local.get $b1)) (local.get $sg))))
        (local.set $sv (f64.add (f64.mul (local.get $b2) (f64.promote_f32 (f32.load (local.get $v)))) (f64.mul (f64.mul (f64.sub (f64.const 1) (local.get $b2)) (local.get $sg)) (local.get $sg))))
        (f32.store (local.get $m) (f32.demote_f64 (local.get $sm)))
        (f32.store (local.get $v) (f32.demote_f64 (local.get $sv)))
        (f32.store (local.get $p)
          (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $p)))
                                   (f64.div (f64.mul (local.get $lr) (f64.div (local.get $sm) (local.get $c1)))
                                            (f64.add (f64.sqrt (f64.div (local.get $sv) (local.get $c2))) (local.get $eps)))))))))
