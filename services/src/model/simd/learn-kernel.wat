;; Online-learning kernel of edgerec: the vector work of RecommenderModel.learnOne in f32x4.
;;
;; It shares the scorer's memory (the item table E, bias b, the adapter W = [A | B | α] and a
;; small workspace all live there), so a learning step copies only the user vector, the
;; history and the sampled items in. Everything scalar and data-dependent stays in JS: the
;; loss coefficients (exp/log), the row-wise Adagrad step sizes and their accumulators, the
;; proximal pull; JS calls these ops in the order learnOne's JS loop runs them.
;;
;; All pointers are byte offsets into the imported memory; `n`, `d`, `r` count floats. Each
;; vector loop runs f32x4 over the multiple-of-4 part and finishes with a scalar tail, so any
;; dim and rank work. Loads are unaligned-safe (rows start at d·4 bytes).
;;
;; Rebuild the committed bytes with: npx tsx services/src/model/simd/build-kernel.ts
(module
  (import "env" "memory" (memory 1))

  ;; Σ x[k]·y[k]
  (func $dot (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $bytes i32) (local $vb i32) (local $k i32) (local $acc v128) (local $s f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $k) (local.get $vb)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k)))
                     (v128.load (i32.add (local.get $y) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $vec)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 2 (local.get $acc)))
      (f32.add (f32x4.extract_lane 1 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $s (f32.add (local.get $s)
          (f32.mul (f32.load (i32.add (local.get $x) (local.get $k)))
                   (f32.load (i32.add (local.get $y) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; y += a·x
  (func $axpy (export "axpy") (param $y i32) (param $a f32) (param $x i32) (param $n i32)
    (local $bytes i32) (local $vb i32) (local $k i32) (local $av v128) (local $p i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $av (f32x4.splat (local.get $a)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $k) (local.get $vb)))
        (local.set $p (i32.add (local.get $y) (local.get $k)))
        (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
          (f32x4.mul (local.get $av) (v128.load (i32.add (local.get $x) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $p (i32.add (local.get $y) (local.get $k)))
        (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
          (f32.mul (local.get $a) (f32.load (i32.add (local.get $x) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail))))

  ;; x = 0
  (func $zero (export "zero") (param $x i32) (param $n i32)
    (local $bytes i32) (local $vb i32) (local $k i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $k) (local.get $vb)))
        (v128.store (i32.add (local.get $x) (local.get $k)) (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $bytes)))
        (f32.store (i32.add (local.get $x) (local.get $k)) (f32.const 0))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail))))

  ;; x /= s (a division, as learnOne's JS loop does, so means match it closely)
  (func $divide (export "divide") (param $x i32) (param $s f32) (param $n i32)
    (local $bytes i32) (local $vb i32) (local $k i32) (local $sv v128) (local $p i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $sv (f32x4.splat (local.get $s)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $k) (local.get $vb)))
        (local.set $p (i32.add (local.get $x) (local.get $k)))
        (v128.store (local.get $p) (f32x4.div (v128.load (local.get $p)) (local.get $sv)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $p (i32.add (local.get $x) (local.get $k)))
        (f32.store (local.get $p) (f32.div (f32.load (local.get $p)) (local.get $s)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail))))

  ;; out = Σ_k x[k]·M[k,:] = Mᵀx for M row-major rows × cols (out has cols floats)
  (func $matTVec (export "matTVec") (param $mat i32) (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $k i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (call $zero (local.get $out) (local.get $cols))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $k) (local.get $rows)))
        (call $axpy (local.get $out)
          (f32.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))
          (i32.add (local.get $mat) (i32.mul (local.get $k) (local.get $rowBytes)))
          (local.get $cols))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rowsLoop))))

  ;; out[k] += M[k,:]·x for M row-major rows × cols (out has rows floats)
  (func $matVecAdd (export "matVecAdd") (param $mat i32) (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $k i32) (local $rowBytes i32) (local $p i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $k) (local.get $rows)))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2))))
        (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
          (call $dot (i32.add (local.get $mat) (i32.mul (local.get $k) (local.get $rowBytes))) (local.get $x) (local.get $cols))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rowsLoop))))

  ;; The forward pass of learnOne (RecommenderModel.userQuery, then the scores):
  ;;   m = mean(E[hist[0..hl)]); u = Bᵀm; q = p + α·m + A·u   (q = p when hl = 0)
  ;;   scores[j] = q·E[items[j]] + b[items[j]]   for j in [0, n)
  ;; W at $w holds A (d × r), then B (d × r), then α. hist and items are i32 arrays.
  (func (export "forward")
    (param $e i32) (param $b i32) (param $hist i32) (param $hl i32) (param $d i32) (param $r i32)
    (param $w i32) (param $p i32) (param $m i32) (param $u i32) (param $q i32)
    (param $items i32) (param $n i32) (param $scores i32)
    (local $rowBytes i32) (local $h i32) (local $j i32) (local $it i32) (local $ab i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (call $zero (local.get $m) (local.get $d))
    (block $hdone
      (loop $hloop
        (br_if $hdone (i32.ge_u (local.get $h) (local.get $hl)))
        (call $axpy (local.get $m) (f32.const 1)
          (i32.add (local.get $e) (i32.mul
            (i32.load (i32.add (local.get $hist) (i32.shl (local.get $h) (i32.const 2))))
            (local.get $rowBytes)))
          (local.get $d))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hloop)))
    (call $zero (local.get $q) (local.get $d))
    (call $axpy (local.get $q) (f32.const 1) (local.get $p) (local.get $d))
    (if (i32.gt_u (local.get $hl) (i32.const 0))
      (then
        (call $divide (local.get $m) (f32.convert_i32_u (local.get $hl)) (local.get $d))
        ;; A at w, B at w + d·r·4, α after B
        (local.set $ab (i32.mul (local.get $rowBytes) (local.get $r)))
        (call $matTVec (i32.add (local.get $w) (local.get $ab)) (local.get $m) (local.get $u) (local.get $d) (local.get $r))
        (call $axpy (local.get $q)
          (f32.load (i32.add (local.get $w) (i32.shl (local.get $ab) (i32.const 1))))
          (local.get $m) (local.get $d))
        (call $matVecAdd (local.get $w) (local.get $u) (local.get $q) (local.get $d) (local.get $r))))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $it (i32.load (i32.add (local.get $items) (i32.shl (local.get $j) (i32.const 2)))))
        (f32.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2)))
          (f32.add
            (call $dot (local.get $q) (i32.add (local.get $e) (i32.mul (local.get $it) (local.get $rowBytes))) (local.get $d))
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $it) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sloop))))

  ;; out = Σ_j coefs[j]·E[items[j]]  (∂q of the scored items)
  (func (export "combine") (param $e i32) (param $items i32) (param $coefs i32) (param $n i32) (param $d i32) (param $out i32)
    (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (call $zero (local.get $out) (local.get $d))
    (block $done
      (loop $jloop
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (call $axpy (local.get $out)
          (f32.load (i32.add (local.get $coefs) (i32.shl (local.get $j) (i32.const 2))))
          (i32.add (local.get $e) (i32.mul
            (i32.load (i32.add (local.get $items) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $rowBytes)))
          (local.get $d))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop))))

  ;; g = c·x − reg·row; returns ‖g‖² (an item row's L2-regularized ascent direction)
  (func (export "rowGrad") (param $row i32) (param $x i32) (param $c f32) (param $reg f32) (param $n i32) (param $g i32) (result f32)
    (local $bytes i32) (local $vb i32) (local $k i32) (local $cv v128) (local $rv v128) (local $gv v128) (local $acc v128)
    (local $gs f32) (local $s f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $rv (f32x4.splat (local.get $reg)))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $k) (local.get $vb)))
        (local.set $gv (f32x4.sub
          (f32x4.mul (local.get $cv) (v128.load (i32.add (local.get $x) (local.get $k))))
          (f32x4.mul (local.get $rv) (v128.load (i32.add (local.get $row) (local.get $k))))))
        (v128.store (i32.add (local.get $g) (local.get $k)) (local.get $gv))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $gv) (local.get $gv))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $vec)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 2 (local.get $acc)))
      (f32.add (f32x4.extract_lane 1 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $bytes)))
        (local.set $gs (f32.sub
          (f32.mul (local.get $c) (f32.load (i32.add (local.get $x) (local.get $k))))
          (f32.mul (local.get $reg) (f32.load (i32.add (local.get $row) (local.get $k))))))
        (f32.store (i32.add (local.get $g) (local.get $k)) (local.get $gs))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $gs) (local.get $gs))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; M[k,j] += lr·(x[k]·y[j] − reg·M[k,j]) for M row-major rows × cols (an adapter factor's step)
  (func (export "rank1Step") (param $mat i32) (param $x i32) (param $y i32) (param $lr f32) (param $reg f32)
    (param $rows i32) (param $cols i32)
    (local $k i32) (local $j i32) (local $bytes i32) (local $vb i32) (local $row i32) (local $p i32)
    (local $xk f32) (local $xv v128) (local $lrv v128) (local $regv v128)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $vb (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $regv (f32x4.splat (local.get $reg)))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $k) (local.get $rows)))
        (local.set $row (i32.add (local.get $mat) (i32.mul (local.get $k) (local.get $bytes))))
        (local.set $xk (f32.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $xv (f32x4.splat (local.get $xk)))
        (local.set $j (i32.const 0))
        (block $vdone
          (loop $vec
            (br_if $vdone (i32.ge_u (local.get $j) (local.get $vb)))
            (local.set $p (i32.add (local.get $row) (local.get $j)))
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
              (f32x4.mul (local.get $lrv) (f32x4.sub
                (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $y) (local.get $j))))
                (f32x4.mul (local.get $regv) (v128.load (local.get $p)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vec)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $p (i32.add (local.get $row) (local.get $j)))
            (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
              (f32.mul (local.get $lr) (f32.sub
                (f32.mul (local.get $xk) (f32.load (i32.add (local.get $y) (local.get $j))))
                (f32.mul (local.get $reg) (f32.load (local.get $p)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tail)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rowsLoop))))

  ;; E[rows[h]] += lrs[h]·x for h in [0, count) (the history rows' step)
  (func (export "gatherAxpy") (param $e i32) (param $rows i32) (param $lrs i32) (param $count i32) (param $d i32) (param $x i32)
    (local $h i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done
      (loop $hloop
        (br_if $done (i32.ge_u (local.get $h) (local.get $count)))
        (call $axpy
          (i32.add (local.get $e) (i32.mul
            (i32.load (i32.add (local.get $rows) (i32.shl (local.get $h) (i32.const 2))))
            (local.get $rowBytes)))
          (f32.load (i32.add (local.get $lrs) (i32.shl (local.get $h) (i32.const 2))))
          (local.get $x) (local.get $d))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hloop))))
)
