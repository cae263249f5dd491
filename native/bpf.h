// Classic BPF programs for the probe's capture: the kernel discards every
// frame we did not ask for, so a busy NIC never floods the ring or the JS side.
#pragma once
#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vxprobe {

// Two comparisons per port, each at most two instructions once far jumps go
// through trampolines: 1000 ports stay within the kernel's BPF_MAXINSNS (4096).
constexpr size_t kMaxFilterPorts = 1000;

// Accepts IPv4 (untagged or one 802.1Q tag in-band) UDP whose source or
// destination port is in `ports` (every UDP datagram when `ports` is empty),
// plus IPv4 ICMP when `icmp` is set. Non-first IPv4 fragments carry no UDP
// header and are dropped. Accepted frames are cut to `snap_len` bytes (the
// filter's return value is how the kernel truncates a capture).
std::vector<sock_filter> BuildUdpPortFilter(const std::vector<uint16_t>& ports, bool icmp,
                                            uint32_t snap_len);

// A program that drops everything: attached before the socket is bound so no
// frame slips in unfiltered.
std::vector<sock_filter> BuildDropAllFilter();

}  // namespace vxprobe
