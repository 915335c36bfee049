;; The SIMD matrix product of the ts target's runtime (src/runtime/gemm-simd.ts
;; calls it). scripts/gemm-wasm.ts assembles it with wabt into
;; src/runtime/gemm-wasm.ts (base64); test/scripts/gemm-wasm.test.ts
;; checks that file is fresh.
;;
;; This text is the body of the module once per element type: the assembler
;; writes it for f32 (f32x4 vectors) and for f64 (f64x2), replacing
;;   {T}     element type          f32 | f64
;;   {V}     vector shape          f32x4 | f64x2
;;   {E}     bytes per element     4 | 8
;;   {LOG}   log2 of {E}           2 | 3
;;   {NR}    columns of C per tile, two vectors: 32 bytes   8 | 4
;;   {NR1}   {NR} - 1   7 | 3
;;   {E2} {E3}  bytes of 2 and of 3 elements (offsets in a step of a packed A panel)
;;   {A4}    bytes of 4 elements (one step of a packed A panel)   16 | 32
;;   {SPLAT} a load of one element into every lane   v128.load32_splat | v128.load64_splat
;;   ({MADD} a b c)  a * b + c on vectors: one relaxed_madd (a fused multiply-add) in the
;;           module's relaxed-SIMD build, {V}.add c ({V}.mul a b) in its baseline one
;; and it holds the module's one memory, exported as "memory":
;;   bytes [0, 128): the edge tile (a micro-tile stored there when only part of it is C's).
;;
;; The product is GotoBLAS's, in depth blocks of KC = 256 terms: A in blocks
;; of MC = 128 rows packed in panels of 4 rows, then B one panel of {NR}
;; columns at a time, both p-major, so the micro-kernel reads both with unit
;; stride whatever the transposes and leading dims. The panel of B (8 KB),
;; packed just before, stays in L1 while every A panel of the block (4 or
;; 8 KB each) passes it; packing B per block of A costs 1/MC of the product. The micro-kernel keeps a 4 x {NR} tile of C in 8 vectors, a
;; multiply-add per vector and step ({MADD}); sums are in {T}, like BLAS.

  ;; dst[panel][p][r] = src(panel * w + r, p) for p < kc and lanes r < w,
  ;; 0 for lanes at or past cnt (so the kernel always computes whole tiles).
  ;; rs, ps: byte strides of src along the lanes and along p. kc > 0, cnt > 0.
  (func $pack_{T} (param $src i32) (param $rs i32) (param $ps i32) (param $cnt i32) (param $kc i32) (param $dst i32) (param $w i32)
    (local $lane i32) (local $r i32) (local $p i32) (local $s i32) (local $d i32) (local $step i32)
    (local.set $step (i32.shl (local.get $w) (i32.const {LOG})))
    (loop $panels
      (if (i32.and (i32.eq (local.get $rs) (i32.const {E}))
                   (i32.le_u (i32.add (local.get $lane) (local.get $w)) (local.get $cnt)))
        ;; A whole panel of lanes adjacent in src: {A4} or 32 bytes per p, copied as vectors.
        (then
          (local.set $s (i32.add (local.get $src) (i32.mul (local.get $lane) (local.get $rs))))
          (local.set $d (local.get $dst))
          (local.set $p (local.get $kc))
          (if (i32.eq (local.get $step) (i32.const 32))
            (then
              (loop $wide
                (v128.store (local.get $d) (v128.load (local.get $s)))
                (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $ps)))
                (local.set $d (i32.add (local.get $d) (i32.const 32)))
                (br_if $wide (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))
            (else
              (loop $narrow
                (v128.store (local.get $d) (v128.load (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $ps)))
                (local.set $d (i32.add (local.get $d) (i32.const 16)))
                (br_if $narrow (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))))
        ;; Otherwise lane by lane (contiguous along p when src is transposed).
        (else
          (local.set $r (i32.const 0))
          (loop $lanes
            (local.set $s (i32.add (local.get $src) (i32.mul (i32.add (local.get $lane) (local.get $r)) (local.get $rs))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const {LOG}))))
            (local.set $p (local.get $kc))
            (if (i32.lt_u (i32.add (local.get $lane) (local.get $r)) (local.get $cnt))
              (then
                (loop $copy
                  ({T}.store (local.get $d) ({T}.load (local.get $s)))
                  (local.set $s (i32.add (local.get $s) (local.get $ps)))
                  (local.set $d (i32.add (local.get $d) (local.get $step)))
                  (br_if $copy (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))
              (else
                (loop $zero
                  ({T}.store (local.get $d) ({T}.const 0))
                  (local.set $d (i32.add (local.get $d) (local.get $step)))
                  (br_if $zero (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))))
            (br_if $lanes (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $w))))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (local.get $step))))
      (br_if $panels (i32.lt_u (local.tee $lane (i32.add (local.get $lane) (local.get $w))) (local.get $cnt)))))

  ;; The micro-kernel: the 4 x {NR} tile of C at c (row stride ldc bytes)
  ;; gets (acc ? C : 0) + sum_p A[p] B[p] over the packed panels at a (4
  ;; elements per p) and b ({NR} per p); only its first mr rows and nr columns
  ;; are C's. kc > 0.
  (func $kernel_{T} (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $mr i32) (param $nr i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128) (local $r i32) (local $q i32) (local $to i32) (local $from i32)
    (loop $depth
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x ({SPLAT} (local.get $a)))
      (local.set $c00 ({MADD} (local.get $x) (local.get $b0) (local.get $c00)))
      (local.set $c01 ({MADD} (local.get $x) (local.get $b1) (local.get $c01)))
      (local.set $x ({SPLAT} offset={E} (local.get $a)))
      (local.set $c10 ({MADD} (local.get $x) (local.get $b0) (local.get $c10)))
      (local.set $c11 ({MADD} (local.get $x) (local.get $b1) (local.get $c11)))
      (local.set $x ({SPLAT} offset={E2} (local.get $a)))
      (local.set $c20 ({MADD} (local.get $x) (local.get $b0) (local.get $c20)))
      (local.set $c21 ({MADD} (local.get $x) (local.get $b1) (local.get $c21)))
      (local.set $x ({SPLAT} offset={E3} (local.get $a)))
      (local.set $c30 ({MADD} (local.get $x) (local.get $b0) (local.get $c30)))
      (local.set $c31 ({MADD} (local.get $x) (local.get $b1) (local.get $c31)))
      (local.set $a (i32.add (local.get $a) (i32.const {A4})))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $depth (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const {NR})))
      (then
        (if (local.get $acc)
          (then
            (local.set $to (local.get $c))
            (local.set $c00 ({V}.add (local.get $c00) (v128.load (local.get $to))))
            (local.set $c01 ({V}.add (local.get $c01) (v128.load offset=16 (local.get $to))))
            (local.set $to (i32.add (local.get $to) (local.get $ldc)))
            (local.set $c10 ({V}.add (local.get $c10) (v128.load (local.get $to))))
            (local.set $c11 ({V}.add (local.get $c11) (v128.load offset=16 (local.get $to))))
            (local.set $to (i32.add (local.get $to) (local.get $ldc)))
            (local.set $c20 ({V}.add (local.get $c20) (v128.load (local.get $to))))
            (local.set $c21 ({V}.add (local.get $c21) (v128.load offset=16 (local.get $to))))
            (local.set $to (i32.add (local.get $to) (local.get $ldc)))
            (local.set $c30 ({V}.add (local.get $c30) (v128.load (local.get $to))))
            (local.set $c31 ({V}.add (local.get $c31) (v128.load offset=16 (local.get $to))))))
        (v128.store (local.get $c) (local.get $c00))
        (v128.store offset=16 (local.get $c) (local.get $c01))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c10))
        (v128.store offset=16 (local.get $c) (local.get $c11))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c20))
        (v128.store offset=16 (local.get $c) (local.get $c21))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store (local.get $c) (local.get $c30))
        (v128.store offset=16 (local.get $c) (local.get $c31))
        (return)))
    ;; An edge tile: through the edge tile at 0, element by element.
    (v128.store offset=0 (i32.const 0) (local.get $c00))
    (v128.store offset=16 (i32.const 0) (local.get $c01))
    (v128.store offset=32 (i32.const 0) (local.get $c10))
    (v128.store offset=48 (i32.const 0) (local.get $c11))
    (v128.store offset=64 (i32.const 0) (local.get $c20))
    (v128.store offset=80 (i32.const 0) (local.get $c21))
    (v128.store offset=96 (i32.const 0) (local.get $c30))
    (v128.store offset=112 (i32.const 0) (local.get $c31))
    (loop $rows
      (local.set $q (i32.const 0))
      (loop $cols
        (local.set $to (i32.add (local.get $c) (i32.shl (local.get $q) (i32.const {LOG}))))
        (local.set $from (i32.add (i32.shl (local.get $r) (i32.const 5)) (i32.shl (local.get $q) (i32.const {LOG}))))
        (if (local.get $acc)
          (then ({T}.store (local.get $to) ({T}.add ({T}.load (local.get $to)) ({T}.load (local.get $from)))))
          (else ({T}.store (local.get $to) ({T}.load (local.get $from)))))
        (br_if $cols (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $nr))))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $mr)))))

  ;; All of B packed, for products that use the same B many times (a
  ;; recurrent weight at every step): B(p, j) at b + p*bp + j*bj, into dst as
  ;; gemm packs it, depth block after depth block, each (kc x n rounded up to
  ;; {NR}) its panels one after the other: panel jr of the block at pc at
  ;; dst + (pc*np + jr*kc)*{E}, np = n rounded up to {NR}. n, k > 0.
  (func (export "packb_{T}") (param $k i32) (param $n i32) (param $b i32) (param $bp i32) (param $bj i32) (param $dst i32)
    (local $pc i32) (local $kc i32) (local $np i32)
    (local.set $np (i32.and (i32.add (local.get $n) (i32.const {NR1})) (i32.const -{NR})))
    (loop $depth
      (local.set $kc (select (i32.const 256) (i32.sub (local.get $k) (local.get $pc))
                             (i32.gt_u (i32.sub (local.get $k) (local.get $pc)) (i32.const 256))))
      (call $pack_{T} (i32.add (local.get $b) (i32.mul (local.get $pc) (local.get $bp))) (local.get $bj) (local.get $bp) (local.get $n) (local.get $kc)
                      (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $pc) (local.get $np)) (i32.const {LOG}))) (i32.const {NR}))
      (br_if $depth (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (i32.const 256))) (local.get $k)))))

  ;; C (acc ? += : =) A B, all of them in this memory: A(i, p) at a + i*ai + p*ap,
  ;; B(p, j) at b + p*bp + j*bj, C(i, j) at c + i*ldc + j*{E} (strides in
  ;; bytes). pa: room for MC rows (rounded up to 4) x KC of packed A;
  ;; pb: for a panel of B ({NR} columns x KC). bpk: 0, or where packb_{T}
  ;; packed this B (then it is read there, not packed again). m, n, k > 0.
  (func (export "gemm_{T}") (param $m i32) (param $n i32) (param $k i32)
      (param $a i32) (param $ai i32) (param $ap i32) (param $b i32) (param $bp i32) (param $bj i32)
      (param $c i32) (param $ldc i32) (param $acc i32) (param $pa i32) (param $pb i32) (param $bpk i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $nr i32) (local $more i32)
    (local $np i32) (local $panel i32)
    (local.set $np (i32.and (i32.add (local.get $n) (i32.const {NR1})) (i32.const -{NR})))
    (loop $depth
      (local.set $kc (select (i32.const 256) (i32.sub (local.get $k) (local.get $pc))
                             (i32.gt_u (i32.sub (local.get $k) (local.get $pc)) (i32.const 256))))
      ;; Depth blocks after the first add to what it stored.
      (local.set $more (i32.or (local.get $acc) (i32.ne (local.get $pc) (i32.const 0))))
      (local.set $ic (i32.const 0))
      (loop $rows
        (local.set $mc (select (i32.const 128) (i32.sub (local.get $m) (local.get $ic))
                               (i32.gt_u (i32.sub (local.get $m) (local.get $ic)) (i32.const 128))))
        (call $pack_{T} (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $ai)) (i32.mul (local.get $pc) (local.get $ap))))
                        (local.get $ai) (local.get $ap) (local.get $mc) (local.get $kc) (local.get $pa) (i32.const 4))
        (local.set $jr (i32.const 0))
        (loop $cols
          (local.set $nr (select (i32.const {NR}) (i32.sub (local.get $n) (local.get $jr))
                                 (i32.gt_u (i32.sub (local.get $n) (local.get $jr)) (i32.const {NR}))))
          (if (local.get $bpk)
            ;; packed already, by packb_{T}
            (then (local.set $panel (i32.add (local.get $bpk)
                                             (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $np)) (i32.mul (local.get $jr) (local.get $kc))) (i32.const {LOG})))))
            ;; The panel of B for these columns, packed where the tiles below read it at once (from L1).
            (else
              (call $pack_{T} (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bp)) (i32.mul (local.get $jr) (local.get $bj))))
                              (local.get $bj) (local.get $bp) (local.get $nr) (local.get $kc) (local.get $pb) (i32.const {NR}))
              (local.set $panel (local.get $pb))))
          (local.set $ir (i32.const 0))
          (loop $tiles
            (call $kernel_{T} (local.get $kc)
              (i32.add (local.get $pa) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const {LOG}))))
              (local.get $panel)
              (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                                               (i32.shl (local.get $jr) (i32.const {LOG}))))
              (local.get $ldc) (local.get $more)
              (select (i32.const 4) (i32.sub (local.get $mc) (local.get $ir)) (i32.gt_u (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
              (local.get $nr))
            (br_if $tiles (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 4))) (local.get $mc))))
          (br_if $cols (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const {NR}))) (local.get $n))))
        (br_if $rows (i32.lt_u (local.tee $ic (i32.add (local.get $ic) (i32.const 128))) (local.get $m))))
      (br_if $depth (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (i32.const 256))) (local.get $k)))))
