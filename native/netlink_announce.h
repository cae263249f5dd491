// rtnetlink change announcements (multicast groups), so a long-lived caller
// re-reads the tables only after the kernel said they changed
// (netlink_watch.cc, src/host/table-cache.ts; docs/agent.md, "Budgets").
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "netlink_socket.h"

namespace vxprobe {

// What the announcements read so far mean for a cached copy of the tables.
struct TableChanges {
  // Something other than an IPv4 neighbor changed (a link, an address, a
  // route, a rule, an FDB entry), or announcements were lost: read again.
  bool reset = false;
  // IPv4 neighbor announcements (RTM_NEWNEIGH / RTM_DELNEIGH), in order:
  // applied in place, because neighbor states change every few seconds.
  std::vector<NetlinkMessage> neighbors;
};

// Most neighbor announcements kept between two reads; beyond, a re-read is cheaper.
constexpr size_t kMaxNeighborChanges = 4096;

// Walks one datagram of announcements (plain C++, fuzzable): never reads
// outside [buf, buf + len); anything it cannot place sets reset.
void ReadAnnouncements(const uint8_t* buf, size_t len, TableChanges* out);

}  // namespace vxprobe
