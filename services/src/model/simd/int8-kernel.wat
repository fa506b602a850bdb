;; Int8 candidate pass of edgerec's top-k ("quantized scan, refine"): a mirror of the item
;; table with one int8 per element and one f32 scale per row lives in the same memory as the
;; f32 table, so a query reads a quarter of the bytes, then re-scores the few candidates in f32.
;;
;; Mirror layout: row i at qe + i·stride (stride = d rounded up to 16, zero padded), its scale
;; at rs + 4i. Quantization is symmetric per row: scale = max|x| / 127, Q = nearest(x · 127/max)
;; (ties to even), so |x − Q·scale| ≤ scale/2 up to f32 rounding. Non-finite elements count
;; as 0 in the mirror (the exact re-rank still sees them); a row with max|x| < 2^-100 is all
;; zero with scale 0 (no 127/max overflow). int8-quantizer.ts is the same math in JS.
;;
;; `rescore` is the exact kernel's arithmetic (score-kernel.wat) for a list of rows, so a
;; candidate's final score is bit-identical to what `score` writes for it.
;;
;; Rebuild the committed bytes with: npx tsx services/src/model/simd/build-kernel.ts
(module
  (import "env" "memory" (memory 1))

  ;; Quantizes f32 row $row of E (at $e, d floats per row) into the mirror.
  (func $quantizeRow (param $e i32) (param $qe i32) (param $rs i32) (param $row i32) (param $d i32) (param $stride i32)
    (local $src i32) (local $dst i32) (local $k i32) (local $vec i32) (local $d16 i32) (local $a i32)
    (local $m v128) (local $x v128) (local $inf v128) (local $inv v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128) (local $magic v128)
    (local $mx f32) (local $xs f32) (local $invs f32)
    (local.set $src (i32.add (local.get $e) (i32.mul (local.get $row) (i32.shl (local.get $d) (i32.const 2)))))
    (local.set $dst (i32.add (local.get $qe) (i32.mul (local.get $row) (local.get $stride))))
    (local.set $inf (f32x4.splat (f32.const inf)))
    ;; max |x| over the finite elements (NaN and ±inf lanes are masked to 0)
    (local.set $vec (i32.and (local.get $d) (i32.const -4)))
    (block $mdone
      (loop $mloop
        (br_if $mdone (i32.ge_u (local.get $k) (local.get $vec)))
        (local.set $x (f32x4.abs (v128.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $m (f32x4.max (local.get $m) (v128.and (local.get $x) (f32x4.lt (local.get $x) (local.get $inf)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $mloop)))
    (local.set $mx (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (block $tdone
      (loop $tloop
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $d)))
        (local.set $xs (f32.abs (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))))))
        (if (f32.lt (local.get $xs) (f32.const inf))
          (then (local.set $mx (f32.max (local.get $mx) (local.get $xs)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $tloop)))
    (local.set $k (i32.const 0))
    ;; (near-)zero row: scale 0, all zero
    (if (f32.lt (local.get $mx) (f32.const 0x1p-100))
      (then
        (f32.store (i32.add (local.get $rs) (i32.shl (local.get $row) (i32.const 2))) (f32.const 0))
        (loop $zero
          (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.const i32x4 0 0 0 0))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $zero (i32.lt_u (local.get $k) (local.get $stride))))
        (return)))
    (f32.store (i32.add (local.get $rs) (i32.shl (local.get $row) (i32.const 2)))
      (f32.div (local.get $mx) (f32.const 127)))
    (local.set $invs (f32.div (f32.const 127) (local.get $mx)))
    (local.set $inv (f32x4.splat (local.get $invs)))
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    ;; sixteen elements per pass: mask non-finite lanes, scale, round, narrow i32 → i16 → i8.
    ;; Rounding adds 1.5·2^23: the f32 sum rounds to an integer, ties to even (|v| ≤ 127.x ≪ 2^22),
    ;; and its bits minus the bits of 1.5·2^23 are that integer, as f32.nearest + trunc would give.
    (local.set $d16 (i32.and (local.get $d) (i32.const -16)))
    (block $qdone
      (loop $qloop
        (br_if $qdone (i32.ge_u (local.get $k) (local.get $d16)))
        (local.set $a (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $x (v128.load offset=0 (local.get $a)))
        (local.set $y0 (i32x4.sub (f32x4.add (local.get $magic) (f32x4.mul (local.get $inv)
          (v128.and (local.get $x) (f32x4.lt (f32x4.abs (local.get $x)) (local.get $inf))))) (local.get $magic)))
        (local.set $x (v128.load offset=16 (local.get $a)))
        (local.set $y1 (i32x4.sub (f32x4.add (local.get $magic) (f32x4.mul (local.get $inv)
          (v128.and (local.get $x) (f32x4.lt (f32x4.abs (local.get $x)) (local.get $inf))))) (local.get $magic)))
        (local.set $x (v128.load offset=32 (local.get $a)))
        (local.set $y2 (i32x4.sub (f32x4.add (local.get $magic) (f32x4.mul (local.get $inv)
          (v128.and (local.get $x) (f32x4.lt (f32x4.abs (local.get $x)) (local.get $inf))))) (local.get $magic)))
        (local.set $x (v128.load offset=48 (local.get $a)))
        (local.set $y3 (i32x4.sub (f32x4.add (local.get $magic) (f32x4.mul (local.get $inv)
          (v128.and (local.get $x) (f32x4.lt (f32x4.abs (local.get $x)) (local.get $inf))))) (local.get $magic)))
        (v128.store (i32.add (local.get $dst) (local.get $k))
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s (local.get $y0) (local.get $y1))
            (i16x8.narrow_i32x4_s (local.get $y2) (local.get $y3))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $qloop)))
    ;; the last d mod 16 elements one at a time, then zero padding up to the stride
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $k) (local.get $stride)))
        (if (i32.lt_u (local.get $k) (local.get $d))
          (then
            (local.set $xs (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))))
            (i32.store8 (i32.add (local.get $dst) (local.get $k))
              (if (result i32) (f32.lt (f32.abs (local.get $xs)) (f32.const inf))
                (then (i32.trunc_sat_f32_s (f32.nearest (f32.mul (local.get $xs) (local.get $invs)))))
                (else (i32.const 0)))))
          (else (i32.store8 (i32.add (local.get $dst) (local.get $k)) (i32.const 0))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rloop))))

  ;; Re-quantizes rows [$first, $first + $count).
  (func (export "quantize_range")
    (param $e i32) (param $qe i32) (param $rs i32) (param $first i32) (param $count i32) (param $d i32) (param $stride i32)
    (local $row i32) (local $end i32)
    (local.set $row (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
        (call $quantizeRow (local.get $e) (local.get $qe) (local.get $rs) (local.get $row) (local.get $d) (local.get $stride))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Re-quantizes the $count rows whose indices (i32) are listed at $list.
  (func (export "quantize_list")
    (param $e i32) (param $qe i32) (param $rs i32) (param $list i32) (param $count i32) (param $d i32) (param $stride i32)
    (local $j i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (call $quantizeRow (local.get $e) (local.get $qe) (local.get $rs)
          (i32.load (i32.add (local.get $list) (i32.shl (local.get $j) (i32.const 2))))
          (local.get $d) (local.get $stride))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows))))

  ;; out[i] = (Σ_k Q[i,k]·q[k]) · (rs[i]·$qs) + b[i] for i in [0, n): the int8 rows against an
  ;; int16 query ($q, stride elements, zero padded; |q| small enough that Σ fits in i32).
  ;; Each 8 bytes of a row are loaded sign-extended to i16x8 (v128.load8x8_s, one pmovsxbw)
  ;; and multiplied-added pairwise into i32 lanes (i32x4.dot_i16x8_s, pmaddwd); four rows per
  ;; pass share the query loads, and one transpose-add leaves the four row sums in one vector
  ;; (as in score-kernel.wat). Without relaxed SIMD there is no int8 dot product, so the win
  ;; over f32 is fewer bytes (a quarter) and fewer instructions per element, not 4× throughput.
  (func (export "score_i8")
    (param $qe i32) (param $rs i32) (param $b i32) (param $q i32) (param $out i32)
    (param $n i32) (param $stride i32) (param $qs f32)
    (local $i i32) (local $k i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $sum i32) (local $v i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $lo v128) (local $hi v128) (local $qsv v128)
    (local.set $qsv (f32x4.splat (local.get $qs)))
    (local.set $r0 (local.get $qe))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $stride)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $stride)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $stride)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $vec
          (local.set $lo (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 1)))))
          (local.set $hi (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 1)))))
          (local.set $v (i32.add (local.get $r0) (local.get $k)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s (local.get $v)) (local.get $lo))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (local.get $v)) (local.get $hi))))
          (local.set $v (i32.add (local.get $r1) (local.get $k)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s (local.get $v)) (local.get $lo))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (local.get $v)) (local.get $hi))))
          (local.set $v (i32.add (local.get $r2) (local.get $k)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s (local.get $v)) (local.get $lo))))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (local.get $v)) (local.get $hi))))
          (local.set $v (i32.add (local.get $r3) (local.get $k)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s (local.get $v)) (local.get $lo))))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (local.get $v)) (local.get $hi))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $k) (local.get $stride))))
        ;; transpose-add (integer, so the order does not matter for the result)
        (local.set $a0 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $a2 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $a0 (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a2))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a2))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.add
            (f32x4.mul (f32x4.convert_i32x4_s (local.get $a0))
              (f32x4.mul (v128.load (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))) (local.get $qsv)))
            (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $r0 (i32.add (local.get $r3) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; the last n mod 4 rows, one at a time, with the same f32 steps
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $vec1
          (local.set $v (i32.add (local.get $r0) (local.get $k)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s (local.get $v))
              (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 1)))))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (local.get $v))
              (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 1))))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $vec1 (i32.lt_u (local.get $k) (local.get $stride))))
        (local.set $sum (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $a0)) (i32x4.extract_lane 1 (local.get $a0)))
          (i32.add (i32x4.extract_lane 2 (local.get $a0)) (i32x4.extract_lane 3 (local.get $a0)))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.mul (f32.convert_i32_s (local.get $sum))
              (f32.mul (f32.load (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2)))) (local.get $qs)))
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $r0 (i32.add (local.get $r0) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1))))

  ;; out[j] = E[ids[j],:] · q + b[ids[j]] for j in [0, c), with the exact kernel's arithmetic:
  ;; lane-wise f32x4 sums, reduced (l0 + l2) + (l1 + l3); the d mod 4 tail is summed apart and
  ;; added once for rows in score's four-row blocks (index < $n4 = n rounded down to 4), and
  ;; added term by term for the last n mod 4 rows, exactly as score does.
  (func (export "rescore")
    (param $e i32) (param $b i32) (param $q i32) (param $ids i32) (param $out i32)
    (param $c i32) (param $d i32) (param $n4 i32)
    (local $j i32) (local $id i32) (local $row i32) (local $k i32) (local $rowBytes i32) (local $vecBytes i32)
    (local $a v128) (local $s f32) (local $t f32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $vecBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (block $done
      (loop $cands
        (br_if $done (i32.ge_u (local.get $j) (local.get $c)))
        (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $row (i32.add (local.get $e) (i32.mul (local.get $id) (local.get $rowBytes))))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $vdone
          (loop $vec
            (br_if $vdone (i32.ge_u (local.get $k) (local.get $vecBytes)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul
                (v128.load (i32.add (local.get $row) (local.get $k)))
                (v128.load (i32.add (local.get $q) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vec)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 2 (local.get $a)))
          (f32.add (f32x4.extract_lane 1 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (if (i32.lt_u (local.get $k) (local.get $rowBytes))
          (then
            (if (i32.lt_u (local.get $id) (local.get $n4))
              (then
                (local.set $t (f32.const 0))
                (loop $tail4
                  (local.set $t (f32.add (local.get $t)
                    (f32.mul
                      (f32.load (i32.add (local.get $row) (local.get $k)))
                      (f32.load (i32.add (local.get $q) (local.get $k))))))
                  (local.set $k (i32.add (local.get $k) (i32.const 4)))
                  (br_if $tail4 (i32.lt_u (local.get $k) (local.get $rowBytes))))
                (local.set $s (f32.add (local.get $s) (local.get $t))))
              (else
                (loop $tail1
                  (local.set $s (f32.add (local.get $s)
                    (f32.mul
                      (f32.load (i32.add (local.get $row) (local.get $k)))
                      (f32.load (i32.add (local.get $q) (local.get $k))))))
                  (local.set $k (i32.add (local.get $k) (i32.const 4)))
                  (br_if $tail1 (i32.lt_u (local.get $k) (local.get $rowBytes))))))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (f32.add (local.get $s)
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $id) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cands))))
)
