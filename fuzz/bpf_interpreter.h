// A classic BPF interpreter for the instructions the capture filter uses, as
// the kernel runs them (an out-of-bounds load returns 0). It also checks what
// the kernel's verifier checks: every jump lands inside the program, the
// program ends in a return and is at most BPF_MAXINSNS long. Unknown
// instructions fail loudly, so a new opcode cannot pass untested.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.h"

namespace vxprobe {

inline uint32_t RunBpf(const std::vector<sock_filter>& prog, const uint8_t* pkt, size_t len) {
  FUZZ_CHECK(!prog.empty() && prog.size() <= BPF_MAXINSNS);
  FUZZ_CHECK(BPF_CLASS(prog.back().code) == BPF_RET);
  uint32_t a = 0, x = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    switch (BPF_CLASS(f.code)) {
      case BPF_LD: {
        size_t size = BPF_SIZE(f.code) == BPF_W ? 4 : BPF_SIZE(f.code) == BPF_H ? 2 : 1;
        FUZZ_CHECK(BPF_SIZE(f.code) != 0x18);
        uint64_t off;
        if (BPF_MODE(f.code) == BPF_ABS) off = f.k;
        else if (BPF_MODE(f.code) == BPF_IND) off = uint64_t{x} + f.k;
        else { FUZZ_CHECK(!"unsupported LD mode"); return 0; }
        if (off + size > len) return 0;
        a = 0;
        for (size_t i = 0; i < size; ++i) a = a << 8 | pkt[off + i];
        break;
      }
      case BPF_LDX:
        FUZZ_CHECK(BPF_MODE(f.code) == BPF_IMM);
        x = f.k;
        break;
      case BPF_ALU: {
        uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD: a += src; break;
          case BPF_AND: a &= src; break;
          case BPF_LSH: a = src < 32 ? a << src : 0; break;
          default: FUZZ_CHECK(!"unsupported ALU op");
        }
        break;
      }
      case BPF_JMP: {
        size_t next;
        switch (BPF_OP(f.code)) {
          case BPF_JA: next = pc + 1 + f.k; break;
          case BPF_JEQ: next = pc + 1 + (a == f.k ? f.jt : f.jf); break;
          case BPF_JSET: next = pc + 1 + ((a & f.k) ? f.jt : f.jf); break;
          default: FUZZ_CHECK(!"unsupported JMP op"); return 0;
        }
        // Both branches must stay inside the program, taken or not.
        if (BPF_OP(f.code) != BPF_JA) {
          FUZZ_CHECK(pc + 1 + f.jt < prog.size() && pc + 1 + f.jf < prog.size());
        }
        FUZZ_CHECK(next < prog.size());
        pc = next - 1;
        break;
      }
      case BPF_RET:
        FUZZ_CHECK(BPF_RVAL(f.code) == BPF_K);
        return f.k;
      case BPF_MISC:
        FUZZ_CHECK(BPF_MISCOP(f.code) == BPF_TAX);
        x = a;
        break;
      default:
        FUZZ_CHECK(!"unsupported instruction class");
    }
  }
  FUZZ_CHECK(!"program fell off its end");
  return 0;
}

}  // namespace vxprobe
