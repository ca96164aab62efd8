;; Symmetric int8 weight quantization kernels (WebAssembly SIMD), the hot loops of the int8 pass.
;; Built into quantize-int8-wasm.ts by `npm run build:wasm` (scripts/build-wasm.mjs, wabt); a test checks the
;; committed bytes against this source. Pointers are byte offsets into the exported memory.
;;
;; Semantics match the JavaScript reference in qmath.ts exactly:
;; - absmax: max |x| ignoring +-Inf and NaN (0 when none);
;; - quant: q = clamp(nearest(x / scale), -127, 127) with a float32 division and round-half-to-even
;;   (numpy's np.round on float32, what ONNX Runtime's quantizer computes); NaN -> 0.
(module
  (memory (export "memory") 1)

  ;; max |x| over n contiguous floats at $p.
  (func (export "absmax") (param $p i32) (param $n i32) (result f32)
    (local $end i32) (local $m v128) (local $v v128) (local $r f32) (local $x f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f32x4.abs (v128.load (local.get $p))))
        ;; Inf lanes -> 0; pmax keeps the accumulator when the new lane is NaN.
        (local.set $v (v128.andnot (local.get $v) (f32x4.eq (local.get $v) (v128.const f32x4 inf inf inf inf))))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (local.set $r (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                           (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f32.abs (f32.load (local.get $p))))
        (if (i32.and (f32.gt (local.get $x) (local.get $r)) (f32.ne (local.get $x) (f32.const inf)))
          (then (local.set $r (local.get $x))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $t)))
    (local.get $r))

  ;; One float -> int8 code.
  (func $q1 (param $x f32) (param $s f32) (result i32)
    (i32.trunc_sat_f32_s
      (f32.max (f32.min (f32.nearest (f32.div (local.get $x) (local.get $s))) (f32.const 127)) (f32.const -127))))

  ;; Four floats -> four int32 codes.
  (func $q4 (param $x v128) (param $s v128) (result v128)
    (i32x4.trunc_sat_f32x4_s
      (f32x4.max (f32x4.min (f32x4.nearest (f32x4.div (local.get $x) (local.get $s))) (v128.const f32x4 127 127 127 127))
                 (v128.const f32x4 -127 -127 -127 -127))))

  ;; n contiguous floats at $src, one scale -> n int8 at $dst.
  (func (export "quant") (param $src i32) (param $dst i32) (param $n i32) (param $scale f32)
    (local $s v128) (local $end i32)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst)
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s
              (call $q4 (v128.load (local.get $src)) (local.get $s))
              (call $q4 (v128.load offset=16 (local.get $src)) (local.get $s)))
            (i16x8.narrow_i32x4_s
              (call $q4 (v128.load offset=32 (local.get $src)) (local.get $s))
              (call $q4 (v128.load offset=48 (local.get $src)) (local.get $s)))))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $l)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 15)) (i32.const 2))))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store8 (local.get $dst) (call $q1 (f32.load (local.get $src)) (local.get $scale)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (br $t))))

  ;; [rows, cols] row-major floats at $src: $out[c] = max over rows of |x[r, c]| (as absmax), cols floats.
  (func (export "absmax_cols") (param $src i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $r i32) (local $c i32) (local $c4 i32) (local $v v128) (local $o i32) (local $x f32) (local $y f32)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    ;; zero the output
    (local.set $c (i32.const 0))
    (block $zd (loop $z
      (br_if $zd (i32.ge_u (local.get $c) (local.get $cols)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (f32.const 0))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $z)))
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $c4)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $v (f32x4.abs (v128.load (local.get $src))))
        (local.set $v (v128.andnot (local.get $v) (f32x4.eq (local.get $v) (v128.const f32x4 inf inf inf inf))))
        (v128.store (local.get $o) (f32x4.pmax (v128.load (local.get $o)) (local.get $v)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $x (f32.abs (f32.load (local.get $src))))
        (local.set $y (f32.load (local.get $o)))
        (if (i32.and (f32.gt (local.get $x) (local.get $y)) (f32.ne (local.get $x) (f32.const inf)))
          (then (f32.store (local.get $o) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; [rows, cols] floats at $src with one scale per column at $scales -> int8 at $dst.
  (func (export "quant_cols") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $scales i32)
    (local $r i32) (local $c i32) (local $c4 i32) (local $q v128)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $c4)))
        (local.set $q (call $q4 (v128.load (local.get $src)) (v128.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $q (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)) (i16x8.narrow_i32x4_s (local.get $q) (local.get $q))))
        (i32.store (local.get $dst) (i32x4.extract_lane 0 (local.get $q)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $c) (local.get $cols)))
        (i32.store8 (local.get $dst)
          (call $q1 (f32.load (local.get $src)) (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))
)
