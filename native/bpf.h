#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace vxprobe {
// Classic BPF accepting IPv4 UDP to/from the given ports (and ICMP if asked).
std::vector<sock_filter> BuildUdpPortFilter(const std::vector<uint16_t>& ports, bool icmp);
}  // namespace vxprobe
