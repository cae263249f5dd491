#include "bpf.h"

#include <linux/if_ether.h>
#include <netinet/in.h>

namespace vxprobe {
namespace {

constexpr uint32_t kEthHeader = 14;
constexpr uint32_t kVlanHeader = 4;

sock_filter Stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}

// Forward jumps are written with symbolic targets first and patched once the
// program is laid out, so the layout can change without recounting offsets.
struct Label {
  size_t insn;
  bool true_branch;
  int target;  // index into the label table
};

}  // namespace

std::vector<sock_filter> BuildUdpPortFilter(const std::vector<uint16_t>& ports, bool icmp,
                                            uint32_t snap_len) {
  enum Target { kIpv4Tagged, kIpv4Untagged, kIpBody, kAcceptT, kDrop, kTargets };
  std::vector<sock_filter> p;
  std::vector<Label> fixups;
  size_t where[kTargets] = {};
  auto jump_to = [&](uint16_t code, uint32_t k, int jt, int jf) {
    // -1 means "next instruction" (offset 0).
    if (jt >= 0) fixups.push_back({p.size(), true, jt});
    if (jf >= 0) fixups.push_back({p.size(), false, jf});
    p.push_back(Jump(code, k, 0, 0));
  };
  auto always_to = [&](int target) {
    fixups.push_back({p.size(), true, target});
    p.push_back(Jump(BPF_JMP | BPF_JA, 0, 0, 0));
  };

  // L2: ethertype, or the ethertype behind one in-band 802.1Q tag. (When the
  // NIC strips the tag into metadata, the frame the filter sees is untagged.)
  p.push_back(Stmt(BPF_LD | BPF_H | BPF_ABS, 12));
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kIpv4Untagged, -1);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021Q, -1, kDrop);
  p.push_back(Stmt(BPF_LD | BPF_H | BPF_ABS, 16));
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kIpv4Tagged, kDrop);

  // X = offset of the IPv4 header minus 14 (0 or 4).
  where[kIpv4Tagged] = p.size();
  p.push_back(Stmt(BPF_LDX | BPF_W | BPF_IMM, kVlanHeader));
  always_to(kIpBody);
  where[kIpv4Untagged] = p.size();
  p.push_back(Stmt(BPF_LDX | BPF_W | BPF_IMM, 0));

  where[kIpBody] = p.size();
  // Protocol.
  p.push_back(Stmt(BPF_LD | BPF_B | BPF_IND, kEthHeader + 9));
  if (icmp) jump_to(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, kAcceptT, -1);
  jump_to(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, -1, kDrop);
  // Non-first fragments have no UDP header where we would look.
  p.push_back(Stmt(BPF_LD | BPF_H | BPF_IND, kEthHeader + 6));
  jump_to(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kDrop, -1);
  if (ports.empty()) {
    always_to(kAcceptT);
  } else {
    // X = IPv4 header offset-14 + IHL*4, so [x+14] is the UDP header. The
    // msh shortcut (ldx 4*([k]&0xf)) only takes a constant offset, which the
    // optional VLAN tag rules out, hence the arithmetic.
    p.push_back(Stmt(BPF_LD | BPF_B | BPF_IND, kEthHeader));
    p.push_back(Stmt(BPF_ALU | BPF_AND | BPF_K, 0x0f));
    p.push_back(Stmt(BPF_ALU | BPF_LSH | BPF_K, 2));
    p.push_back(Stmt(BPF_ALU | BPF_ADD | BPF_X, 0));
    p.push_back(Stmt(BPF_MISC | BPF_TAX, 0));
    for (int field = 0; field < 2; ++field) {  // source port, then destination port
      p.push_back(Stmt(BPF_LD | BPF_H | BPF_IND, kEthHeader + 2 * field));
      for (uint16_t port : ports) jump_to(BPF_JMP | BPF_JEQ | BPF_K, port, kAcceptT, -1);
    }
    always_to(kDrop);
  }
  where[kAcceptT] = p.size();
  p.push_back(Stmt(BPF_RET | BPF_K, snap_len));
  where[kDrop] = p.size();
  p.push_back(Stmt(BPF_RET | BPF_K, 0));

  for (const Label& f : fixups) {
    sock_filter& insn = p[f.insn];
    size_t offset = where[f.target] - f.insn - 1;
    if (BPF_OP(insn.code) == BPF_JA) {
      insn.k = static_cast<uint32_t>(offset);
    } else if (f.true_branch) {
      insn.jt = static_cast<uint8_t>(offset);
    } else {
      insn.jf = static_cast<uint8_t>(offset);
    }
  }
  return p;
}

std::vector<sock_filter> BuildDropAllFilter() { return {Stmt(BPF_RET | BPF_K, 0)}; }

}  // namespace vxprobe
