;; Bernoulli(p) draws from xoshiro128** for Generator.fillBernoulli (src/random.ts): the same draws,
;; one 32-bit draw per element, the same rule (r < floor(p * 2^32), compared as signed integers after
;; flipping the top bit), about 3x faster than the JavaScript loop. Built into random-kernel-wasm.ts
;; by scripts/build-wasm.mjs (random-kernel.test.ts checks the two agree).
;;
;; Memory: the generator state s0..s3 at bytes 0..15 (read at the start, written back at the end),
;; the output at `ptr` as float32: 0.0, or the float32 whose bits are `one` (1.0, or a dropout
;; mask's 1/(1 - rate)).
(module
  (memory (export "mem") 4)
  (func (export "fill") (param $ptr i32) (param $n i32) (param $thr i32) (param $one i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $r i32) (local $t i32) (local $end i32)
    (local.set $s0 (i32.load (i32.const 0)))
    (local.set $s1 (i32.load (i32.const 4)))
    (local.set $s2 (i32.load (i32.const 8)))
    (local.set $s3 (i32.load (i32.const 12)))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
      (loop $next
        ;; result = rotl(s1 * 5, 7) * 9, top bit flipped for the signed compare
        (local.set $r (i32.xor (i32.mul (i32.rotl (i32.mul (local.get $s1) (i32.const 5)) (i32.const 7)) (i32.const 9)) (i32.const 0x80000000)))
        (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
        (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
        (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
        (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
        (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
        (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
        (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
        ;; `one` where r < thr, else 0.0f
        (i32.store (local.get $ptr) (select (local.get $one) (i32.const 0) (i32.lt_s (local.get $r) (local.get $thr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br_if $next (i32.lt_u (local.get $ptr) (local.get $end)))))
    (i32.store (i32.const 0) (local.get $s0))
    (i32.store (i32.const 4) (local.get $s1))
    (i32.store (i32.const 8) (local.get $s2))
    (i32.store (i32.const 12) (local.get $s3))))
