/*
 * loop.S - the TLB-friendly loops `mmulab bench machine` times on our
 * machine and, byte for byte, on raw Unicorn.  Position-independent and
 * self-contained: RDI = a 4 KB buffer, RSI = iterations; they return a sum.
 *
 * bench_loop: one block of 35 instructions per iteration (32 loads and
 *   adds across one page, an XOR, a counter, a branch), like an unrolled
 *   checksum: the per-block cost of counting instructions is small beside it.
 * bench_loop_short: the same with 8 loads (11 instructions per block),
 *   where that per-block cost shows.
 */
    .text
    .globl bench_loop, bench_loop_ret, bench_loop_short, bench_loop_short_ret

bench_loop:
    xor %eax, %eax
1:
    .irp off, 0, 128, 256, 384, 512, 640, 768, 896, 1024, 1152, 1280, 1408, 1536, 1664, 1792, 1920
    add \off(%rdi), %rax
    .endr
    .irp off, 2048, 2176, 2304, 2432, 2560, 2688, 2816, 2944, 3072, 3200, 3328, 3456, 3584, 3712, 3840, 4088
    add \off(%rdi), %rax
    .endr
    xor %rax, %rdx
    dec %rsi
    jnz 1b
bench_loop_ret:
    ret

bench_loop_short:
    xor %eax, %eax
2:  add 0(%rdi), %rax
    add 8(%rdi), %rax
    add 16(%rdi), %rax
    add 24(%rdi), %rax
    add 512(%rdi), %rax
    add 1024(%rdi), %rax
    add 2048(%rdi), %rax
    add 4088(%rdi), %rax
    xor %rax, %rdx
    dec %rsi
    jnz 2b
bench_loop_short_ret:
    ret
    .section .note.GNU-stack, "", @progbits
