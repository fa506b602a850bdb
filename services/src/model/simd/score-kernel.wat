;; Dense scoring kernel of edgerec: out[i] = E[i,:] · q + b[i] for i in [0, n).
;;
;; E is row-major n × d float32, q has d floats, b and out n floats; all arguments are byte
;; offsets into the imported memory (the item table lives there, so a query copies only q).
;; Four rows per pass share each load of q: four f32x4 accumulators, reduced with one
;; 4×4 transpose-add so a block ends in a single vector store (bias added as a vector).
;; Dims not divisible by 4 finish each row with a scalar tail. Loads are unaligned-safe
;; (rows start at d·4 bytes, not always a multiple of 16).
;;
;; `select` is the top-k of selectTopK (top-k.ts) step for step, so results match it exactly,
;; ties included: a size-k min-heap, with SIMD pre-checks that skip sixteen (then four)
;; scores at once when none beats the heap's minimum (the common case once the heap is warm).
;;
;; Rebuild the committed bytes with: npx tsx services/src/model/simd/build-kernel.ts
(module
  (import "env" "memory" (memory 1))

  (func $score (export "score")
    (param $e i32) (param $b i32) (param $q i32) (param $out i32) (param $n i32) (param $d i32)
    (local $rowBytes i32) (local $vecBytes i32) (local $i i32) (local $k i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $qv v128)
    (local $t0 f32) (local $t1 f32) (local $t2 f32) (local $t3 f32) (local $qk f32)

    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $vecBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $r0 (local.get $e))

    ;; blocks of four rows
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $vdone
          (loop $vec
            (br_if $vdone (i32.ge_u (local.get $k) (local.get $vecBytes)))
            (local.set $qv (v128.load (i32.add (local.get $q) (local.get $k))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load (i32.add (local.get $r0) (local.get $k))) (local.get $qv))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load (i32.add (local.get $r1) (local.get $k))) (local.get $qv))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load (i32.add (local.get $r2) (local.get $k))) (local.get $qv))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load (i32.add (local.get $r3) (local.get $k))) (local.get $qv))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vec)))

        ;; transpose-add: [a0 a1] interleaved lo + hi, then [a2 a3], then their lo/hi halves
        (local.set $a0 (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $a2 (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $a0 (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a2))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a2))))

        ;; scalar tail when d is not a multiple of 4
        (if (i32.lt_u (local.get $vecBytes) (local.get $rowBytes))
          (then
            (local.set $t0 (f32.const 0)) (local.set $t1 (f32.const 0))
            (local.set $t2 (f32.const 0)) (local.set $t3 (f32.const 0))
            (local.set $k (local.get $vecBytes))
            (loop $tail
              (local.set $qk (f32.load (i32.add (local.get $q) (local.get $k))))
              (local.set $t0 (f32.add (local.get $t0)
                (f32.mul (f32.load (i32.add (local.get $r0) (local.get $k))) (local.get $qk))))
              (local.set $t1 (f32.add (local.get $t1)
                (f32.mul (f32.load (i32.add (local.get $r1) (local.get $k))) (local.get $qk))))
              (local.set $t2 (f32.add (local.get $t2)
                (f32.mul (f32.load (i32.add (local.get $r2) (local.get $k))) (local.get $qk))))
              (local.set $t3 (f32.add (local.get $t3)
                (f32.mul (f32.load (i32.add (local.get $r3) (local.get $k))) (local.get $qk))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br_if $tail (i32.lt_u (local.get $k) (local.get $rowBytes))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.replace_lane 3
                (f32x4.replace_lane 2
                  (f32x4.replace_lane 1 (f32x4.splat (local.get $t0)) (local.get $t1))
                  (local.get $t2))
                (local.get $t3))))))

        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.add (local.get $a0)
            (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $r0 (i32.add (local.get $r3) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))

    ;; the last n mod 4 rows, one at a time
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $vdone1
          (loop $vec1
            (br_if $vdone1 (i32.ge_u (local.get $k) (local.get $vecBytes)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul
                (v128.load (i32.add (local.get $r0) (local.get $k)))
                (v128.load (i32.add (local.get $q) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vec1)))
        (local.set $t0 (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 2 (local.get $a0)))
          (f32.add (f32x4.extract_lane 1 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (block $tdone1
          (loop $tail1
            (br_if $tdone1 (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $t0 (f32.add (local.get $t0)
              (f32.mul
                (f32.load (i32.add (local.get $r0) (local.get $k)))
                (f32.load (i32.add (local.get $q) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $tail1)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add (local.get $t0)
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $r0 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1))))

  ;; Is item $i set in the exclusion bitmap at $ex (0 = no bitmap)?
  (func $excluded (param $ex i32) (param $i i32) (result i32)
    (if (result i32) (i32.eqz (local.get $ex))
      (then (i32.const 0))
      (else (i32.and
        (i32.shr_u
          (i32.load8_u (i32.add (local.get $ex) (i32.shr_u (local.get $i) (i32.const 3))))
          (i32.and (local.get $i) (i32.const 7)))
        (i32.const 1)))))

  ;; Heap push at slot $c (= size before the push): sift up while the parent is larger.
  (func $push (param $hs i32) (param $hi i32) (param $c i32) (param $item i32) (param $v f32)
    (local $p i32) (local $ps f32)
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $c)))
        (local.set $p (i32.shr_u (i32.sub (local.get $c) (i32.const 1)) (i32.const 1)))
        (local.set $ps (f32.load (i32.add (local.get $hs) (i32.shl (local.get $p) (i32.const 2)))))
        (br_if $done (f32.le (local.get $ps) (local.get $v)))
        (f32.store (i32.add (local.get $hs) (i32.shl (local.get $c) (i32.const 2))) (local.get $ps))
        (i32.store (i32.add (local.get $hi) (i32.shl (local.get $c) (i32.const 2)))
          (i32.load (i32.add (local.get $hi) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $c (local.get $p))
        (br $up)))
    (f32.store (i32.add (local.get $hs) (i32.shl (local.get $c) (i32.const 2))) (local.get $v))
    (i32.store (i32.add (local.get $hi) (i32.shl (local.get $c) (i32.const 2))) (local.get $item)))

  ;; Replace the heap's minimum by ($item, $v) and sift down (the smaller child moves up).
  (func $replace (param $hs i32) (param $hi i32) (param $size i32) (param $item i32) (param $v f32)
    (local $c i32) (local $l i32) (local $r i32) (local $m i32) (local $ms f32)
    (block $done
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $c) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $l) (local.get $size)))
        (local.set $r (i32.add (local.get $l) (i32.const 1)))
        (local.set $m (local.get $l))
        (if (i32.lt_u (local.get $r) (local.get $size))
          (then
            (if (f32.lt
                  (f32.load (i32.add (local.get $hs) (i32.shl (local.get $r) (i32.const 2))))
                  (f32.load (i32.add (local.get $hs) (i32.shl (local.get $l) (i32.const 2)))))
              (then (local.set $m (local.get $r))))))
        (local.set $ms (f32.load (i32.add (local.get $hs) (i32.shl (local.get $m) (i32.const 2)))))
        (br_if $done (f32.ge (local.get $ms) (local.get $v)))
        (f32.store (i32.add (local.get $hs) (i32.shl (local.get $c) (i32.const 2))) (local.get $ms))
        (i32.store (i32.add (local.get $hi) (i32.shl (local.get $c) (i32.const 2)))
          (i32.load (i32.add (local.get $hi) (i32.shl (local.get $m) (i32.const 2)))))
        (local.set $c (local.get $m))
        (br $down)))
    (f32.store (i32.add (local.get $hs) (i32.shl (local.get $c) (i32.const 2))) (local.get $v))
    (i32.store (i32.add (local.get $hi) (i32.shl (local.get $c) (i32.const 2))) (local.get $item)))

  ;; Offer score $v of item $i to a full heap: the same skip tests as selectTopK, in its order.
  (func $offer (param $hs i32) (param $hi i32) (param $k i32) (param $ex i32) (param $i i32) (param $v f32)
    (if (i32.eqz (f32.le (local.get $v) (f32.load (local.get $hs))))
      (then
        (if (i32.eqz (call $excluded (local.get $ex) (local.get $i)))
          (then (call $replace (local.get $hs) (local.get $hi) (local.get $k) (local.get $i) (local.get $v)))))))

  ;; Items $i..$i+3 (scores at $a) against a full heap: skipped together when all four are ≤
  ;; the minimum, else offered one by one in item order.
  (func $group4 (param $hs i32) (param $hi i32) (param $k i32) (param $ex i32) (param $i i32) (param $a i32)
    (if (i32.eqz (i32x4.all_true
          (f32x4.le (v128.load (local.get $a)) (f32x4.splat (f32.load (local.get $hs))))))
      (then
        (call $offer (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
          (local.get $i) (f32.load (local.get $a)))
        (call $offer (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
          (i32.add (local.get $i) (i32.const 1)) (f32.load offset=4 (local.get $a)))
        (call $offer (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
          (i32.add (local.get $i) (i32.const 2)) (f32.load offset=8 (local.get $a)))
        (call $offer (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
          (i32.add (local.get $i) (i32.const 3)) (f32.load offset=12 (local.get $a))))))

  ;; Top-$k of the n scores at $s into the heap ($hs: f32 scores, $hi: i32 items), skipping
  ;; items set in the bitmap $ex. Returns the heap size (min(k, n − excluded)); unsorted.
  (func $select (export "select")
    (param $s i32) (param $n i32) (param $k i32) (param $hs i32) (param $hi i32) (param $ex i32) (result i32)
    (local $i i32) (local $size i32) (local $v f32) (local $a i32) (local $m v128)
    (if (i32.eqz (local.get $k)) (then (return (i32.const 0))))
    ;; filling: every item that is not excluded goes in
    (block $full
      (loop $fill
        (br_if $full (i32.ge_u (local.get $size) (local.get $k)))
        (br_if $full (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f32.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.eqz (call $excluded (local.get $ex) (local.get $i)))
          (then
            (call $push (local.get $hs) (local.get $hi) (local.get $size) (local.get $i) (local.get $v))
            (local.set $size (i32.add (local.get $size) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    ;; full heap: sixteen scores at a time, skipped together when all are ≤ the minimum (NaN is
    ;; not), which is most blocks once the heap is warm; a block that is not skipped goes
    ;; through its four groups, each re-checked against the then-current minimum
    (block $bdone
      (loop $blocks
        (br_if $bdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (local.set $a (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $m (f32x4.splat (f32.load (local.get $hs))))
        (if (i32.eqz (i32x4.all_true (v128.and
              (v128.and
                (f32x4.le (v128.load offset=0 (local.get $a)) (local.get $m))
                (f32x4.le (v128.load offset=16 (local.get $a)) (local.get $m)))
              (v128.and
                (f32x4.le (v128.load offset=32 (local.get $a)) (local.get $m))
                (f32x4.le (v128.load offset=48 (local.get $a)) (local.get $m))))))
          (then
            (call $group4 (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex) (local.get $i) (local.get $a))
            (call $group4 (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
              (i32.add (local.get $i) (i32.const 4)) (i32.add (local.get $a) (i32.const 16)))
            (call $group4 (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
              (i32.add (local.get $i) (i32.const 8)) (i32.add (local.get $a) (i32.const 32)))
            (call $group4 (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
              (i32.add (local.get $i) (i32.const 12)) (i32.add (local.get $a) (i32.const 48)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (call $group4 (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex)
          (local.get $i) (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (call $offer (local.get $hs) (local.get $hi) (local.get $k) (local.get $ex) (local.get $i)
          (f32.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $size))
)
