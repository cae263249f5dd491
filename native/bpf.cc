#include "bpf.h"

#include <linux/if_ether.h>
#include <netinet/in.h>

#include <stdexcept>
#include <utility>

namespace vxprobe {
namespace {

constexpr uint32_t kEthHeader = 14;
constexpr uint32_t kVlanHeader = 4;

sock_filter Stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter Ja(size_t offset) {
  return BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(offset), 0, 0);
}

// An instruction whose jumps name targets (indexes of other symbolic
// instructions) instead of offsets; kNext is the instruction after it.
constexpr int kNext = -1;
struct SymbolicInsn {
  sock_filter insn;
  int jt = kNext, jf = kNext;  // conditional jumps
  int ja = kNext;              // BPF_JA (32-bit offset, never too far)
};

bool IsConditional(const sock_filter& f) {
  return BPF_CLASS(f.code) == BPF_JMP && BPF_OP(f.code) != BPF_JA;
}

// Lays the program out. A conditional jump's jt/jf hold only 8 bits, so one
// whose target is more than 255 instructions ahead goes through a trampoline:
// it jumps to a `ja target` (32-bit offset) placed right behind it, and a
// frame that does not take that branch skips the trampoline in the same
// single jump (docs/native-hardening.md). Every jump goes forward, so whether
// an instruction needs trampolines depends only on the instructions after it:
// one pass from the end decides them all.
std::vector<sock_filter> Assemble(const std::vector<SymbolicInsn>& sym) {
  const size_t n = sym.size();
  std::vector<bool> far_t(n, false), far_f(n, false);
  auto target_of = [&](size_t i, int t) { return t == kNext ? i + 1 : static_cast<size_t>(t); };
  std::vector<size_t> after(n + 1, 0);  // emitted size of instructions i..n-1
  for (size_t i = n; i-- > 0;) {
    size_t size = 1;
    if (IsConditional(sym[i].insn)) {
      size_t t = target_of(i, sym[i].jt), f = target_of(i, sym[i].jf);
      if (t <= i || f <= i || t > n || f > n) throw std::logic_error("BPF jumps must go forward");
      // Distance to each target without this instruction's own trampolines,
      // which lie between it and both targets.
      const size_t base_t = after[i + 1] - after[t], base_f = after[i + 1] - after[f];
      size_t tramps = 0;
      for (int round = 0; round < 3; ++round) {
        far_t[i] = base_t + tramps > 255;
        far_f[i] = base_f + tramps > 255;
        tramps = (far_t[i] ? 1 : 0) + (far_f[i] ? 1 : 0);
      }
      size += tramps;
    }
    after[i] = after[i + 1] + size;
  }
  std::vector<size_t> pos(n + 1);
  for (size_t i = 0; i <= n; ++i) pos[i] = after[0] - after[i];
  std::vector<sock_filter> out;
  out.reserve(pos[n]);
  for (size_t i = 0; i < n; ++i) {
    sock_filter f = sym[i].insn;
    const size_t at = pos[i];
    if (IsConditional(f)) {
      size_t t = pos[target_of(i, sym[i].jt)], fl = pos[target_of(i, sym[i].jf)];
      size_t tramp_t = at + 1, tramp_f = at + 1 + (far_t[i] ? 1 : 0);
      f.jt = static_cast<uint8_t>((far_t[i] ? tramp_t : t) - at - 1);
      f.jf = static_cast<uint8_t>((far_f[i] ? tramp_f : fl) - at - 1);
      out.push_back(f);
      if (far_t[i]) out.push_back(Ja(t - tramp_t - 1));
      if (far_f[i]) out.push_back(Ja(fl - tramp_f - 1));
    } else if (BPF_CLASS(f.code) == BPF_JMP) {  // BPF_JA
      f.k = static_cast<uint32_t>(pos[target_of(i, sym[i].ja)] - at - 1);
      out.push_back(f);
    } else {
      out.push_back(f);
    }
  }
  if (out.size() > BPF_MAXINSNS) throw std::length_error("BPF program longer than BPF_MAXINSNS");
  return out;
}

}  // namespace

std::vector<sock_filter> BuildUdpPortFilter(const std::vector<uint16_t>& ports, bool icmp,
                                            uint32_t snap_len) {
  enum Target { kIpv4Tagged, kIpv4Untagged, kIpBody, kAcceptT, kDrop, kTargets };
  std::vector<SymbolicInsn> p;
  // Jumps name a Target first; `where` is only known once its instruction is
  // placed, so labels are resolved after the program is complete.
  std::vector<std::pair<size_t, int>> uses_t, uses_f, uses_ja;
  size_t where[kTargets] = {};
  auto stmt = [&](uint16_t code, uint32_t k) { p.push_back({Stmt(code, k)}); };
  auto jump_to = [&](uint16_t code, uint32_t k, int jt, int jf) {
    // -1 means "next instruction".
    if (jt >= 0) uses_t.push_back({p.size(), jt});
    if (jf >= 0) uses_f.push_back({p.size(), jf});
    p.push_back({BPF_JUMP(code, k, 0, 0)});
  };
  auto always_to = [&](int target) {
    uses_ja.push_back({p.size(), target});
    p.push_back({BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0)});
  };

  // L2: ethertype, or the ethertype behind one in-band 802.1Q tag. (When the
  // NIC strips the tag into metadata, the frame the filter sees is untagged.)
  stmt(BPF_LD | BPF_H | BPF_ABS, 12);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kIpv4Untagged, -1);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021Q, -1, kDrop);
  stmt(BPF_LD | BPF_H | BPF_ABS, 16);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kIpv4Tagged, kDrop);

  // X = offset of the IPv4 header minus 14 (0 or 4).
  where[kIpv4Tagged] = p.size();
  stmt(BPF_LDX | BPF_W | BPF_IMM, kVlanHeader);
  always_to(kIpBody);
  where[kIpv4Untagged] = p.size();
  stmt(BPF_LDX | BPF_W | BPF_IMM, 0);

  where[kIpBody] = p.size();
  // Protocol.
  stmt(BPF_LD | BPF_B | BPF_IND, kEthHeader + 9);
  if (icmp) jump_to(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, kAcceptT, -1);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, -1, kDrop);
  // Non-first fragments have no UDP header where we would look.
  stmt(BPF_LD | BPF_H | BPF_IND, kEthHeader + 6);
  jump_to(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kDrop, -1);
  if (ports.empty()) {
    always_to(kAcceptT);
  } else {
    // X = IPv4 header offset-14 + IHL*4, so [x+14] is the UDP header. The
    // msh shortcut (ldx 4*([k]&0xf)) only takes a constant offset, which the
    // optional VLAN tag rules out, hence the arithmetic.
    stmt(BPF_LD | BPF_B | BPF_IND, kEthHeader);
    stmt(BPF_ALU | BPF_AND | BPF_K, 0x0f);
    stmt(BPF_ALU | BPF_LSH | BPF_K, 2);
    stmt(BPF_ALU | BPF_ADD | BPF_X, 0);
    stmt(BPF_MISC | BPF_TAX, 0);
    for (int field = 0; field < 2; ++field) {  // source port, then destination port
      stmt(BPF_LD | BPF_H | BPF_IND, kEthHeader + 2 * field);
      for (uint16_t port : ports) jump_to(BPF_JMP | BPF_JEQ | BPF_K, port, kAcceptT, -1);
    }
    always_to(kDrop);
  }
  where[kAcceptT] = p.size();
  stmt(BPF_RET | BPF_K, snap_len);
  where[kDrop] = p.size();
  stmt(BPF_RET | BPF_K, 0);

  for (auto& [insn, target] : uses_t) p[insn].jt = static_cast<int>(where[target]);
  for (auto& [insn, target] : uses_f) p[insn].jf = static_cast<int>(where[target]);
  for (auto& [insn, target] : uses_ja) p[insn].ja = static_cast<int>(where[target]);
  return Assemble(p);
}

std::vector<sock_filter> BuildDropAllFilter() { return {Stmt(BPF_RET | BPF_K, 0)}; }

}  // namespace vxprobe
