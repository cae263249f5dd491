// Walks rtnetlink announcements (no N-API: fuzzed in fuzz/fuzz_netlink.cc).
#include "netlink_announce.h"

#include <linux/neighbour.h>
#include <sys/socket.h>

#include <cstring>

namespace vxprobe {

void ReadAnnouncements(const uint8_t* buf, size_t len, TableChanges* out) {
  size_t off = 0;
  while (off < len) {
    if (len - off < sizeof(nlmsghdr)) {
      out->reset = true;
      return;
    }
    nlmsghdr h;
    std::memcpy(&h, buf + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len - off) {
      out->reset = true;
      return;
    }
    const uint8_t* payload = buf + off + NLMSG_HDRLEN;
    const size_t payload_len = h.nlmsg_len - NLMSG_HDRLEN;
    const bool neigh = h.nlmsg_type == RTM_NEWNEIGH || h.nlmsg_type == RTM_DELNEIGH;
    if (!neigh || payload_len < sizeof(ndmsg)) {
      out->reset = true;
    } else {
      ndmsg ndm;
      std::memcpy(&ndm, payload, sizeof ndm);
      if (ndm.ndm_family == AF_INET) {
        if (out->neighbors.size() >= kMaxNeighborChanges) {
          out->reset = true;
          out->neighbors.clear();
        } else if (!out->reset) {
          out->neighbors.push_back({h.nlmsg_type, h.nlmsg_flags, {payload, payload + payload_len}});
        }
      } else if (ndm.ndm_family != AF_INET6) {
        out->reset = true;  // AF_BRIDGE: an FDB entry
      }
      // IPv6 neighbors are in no table we read.
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
}

}  // namespace vxprobe
