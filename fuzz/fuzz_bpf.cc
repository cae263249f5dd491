// The capture filter builder, differentially: for any port list (up to the
// 1000-port limit, so far jumps and trampolines are exercised), ICMP flag,
// snap length and frame, the program run by the interpreter must give what a
// direct reading of the frame says it should.
// Input: flags byte (bit 0 icmp, bit 1 long list), 2-byte port count, snap length (2 bytes),
// the ports (2 bytes each), then the frame.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bpf.h"
#include "bpf_interpreter.h"

using namespace vxprobe;

namespace {

// What the filter is documented to keep (bpf.h), with the kernel's rule that
// a load past the end drops the frame.
uint32_t Expected(const std::vector<uint16_t>& ports, bool icmp, uint32_t snap, const uint8_t* d,
                  size_t len) {
  auto be16 = [&](size_t off) { return static_cast<uint32_t>(d[off] << 8 | d[off + 1]); };
  if (len < 14) return 0;
  size_t l3 = 14;
  uint32_t type = be16(12);
  if (type != 0x0800) {
    if (type != 0x8100 || len < 18 || be16(16) != 0x0800) return 0;
    l3 = 18;
  }
  if (len < l3 + 10) return 0;
  const uint8_t proto = d[l3 + 9];
  if (icmp && proto == 1) return snap;
  if (proto != 17) return 0;
  if (be16(l3 + 6) & 0x1fff) return 0;
  if (ports.empty()) return snap;
  const size_t l4 = l3 + (d[l3] & 0x0f) * 4;
  auto listed = [&](uint32_t p) { return std::find(ports.begin(), ports.end(), p) != ports.end(); };
  if (l4 + 2 > len) return 0;
  if (listed(be16(l4))) return snap;
  if (l4 + 4 > len) return 0;
  return listed(be16(l4 + 2)) ? snap : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const bool icmp = data[0] & 1;
  // Bit 1 picks a long list (up to the limit), else a short one: long lists
  // are slow to build and run, and most bugs do not need them.
  const size_t raw_count = static_cast<size_t>(data[1]) << 8 | data[2];
  const size_t count = (data[0] & 2) ? raw_count % (kMaxFilterPorts + 1) : raw_count % 160;
  const uint32_t snap = 64 + (static_cast<uint32_t>(data[3]) << 8 | data[4]);
  data += 5;
  size -= 5;
  std::vector<uint16_t> ports;
  // Ports the input does not spell out are spread over the port space, so
  // long lists do not need long inputs.
  for (size_t i = 0; i < count; ++i) {
    if (2 * i + 1 < size) {
      ports.push_back(static_cast<uint16_t>(data[2 * i] << 8 | data[2 * i + 1]));
    } else {
      ports.push_back(static_cast<uint16_t>(1 + (i * 2654435761u) % 65535));
    }
  }
  const size_t used = std::min(size, 2 * count);
  data += used;
  size -= used;
  std::vector<sock_filter> prog = BuildUdpPortFilter(ports, icmp, snap);
  FUZZ_CHECK(RunBpf(prog, data, size) == Expected(ports, icmp, snap, data, size));
  // UDP frames from and to listed ports at both ends and the middle of the
  // list must pass: far jumps are where 8-bit offsets used to wrap, and a
  // wrapped jump lands among the comparisons, where random frames rarely
  // notice it.
  if (!ports.empty()) {
    for (size_t idx : {size_t{0}, ports.size() / 2, ports.size() - 1}) {
      for (int field = 0; field < 2; ++field) {
        uint8_t udp[42] = {};
        udp[12] = 0x08;
        udp[14] = 0x45;
        udp[23] = 17;
        udp[34 + 2 * field] = static_cast<uint8_t>(ports[idx] >> 8);
        udp[35 + 2 * field] = static_cast<uint8_t>(ports[idx]);
        FUZZ_CHECK(RunBpf(prog, udp, sizeof udp) == snap);
      }
    }
  }
  return 0;
}
