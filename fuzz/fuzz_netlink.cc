// Netlink replies as the kernel (or a forger with CAP_NET_ADMIN) could send
// them: ReadReplies over one datagram, FirstNextHop over an RTA_MULTIPATH
// attribute and ReadAnnouncements over one datagram of change announcements
// must never read outside the bytes given, whatever the lengths inside claim.
// Input: 4 bytes sequence number, 1 byte mode, then the bytes.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_check.h"
#include "netlink_announce.h"
#include "netlink_socket.h"

using namespace vxprobe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  uint32_t seq;
  std::memcpy(&seq, data, 4);
  const uint8_t mode = data[4];
  data += 5;
  size -= 5;
  // nlmsghdr and rtattr are read in place: give them an aligned exact-size copy.
  std::unique_ptr<uint8_t[]> buf(new uint8_t[size ? size : 1]);
  if (size) std::memcpy(buf.get(), data, size);
  if (mode & 4) {
    TableChanges changes;
    ReadAnnouncements(buf.get(), size, &changes);
    FUZZ_CHECK(changes.neighbors.size() <= kMaxNeighborChanges);
    for (const NetlinkMessage& m : changes.neighbors) FUZZ_CHECK(m.payload.size() >= sizeof(ndmsg));
    return 0;
  }
  if (mode & 1) {
    if (size < sizeof(rtattr)) return 0;
    auto* mp = reinterpret_cast<rtattr*>(buf.get());
    if (mp->rta_len < sizeof(rtattr) || mp->rta_len > size) return 0;  // AttrTable checks this
    NextHop hop;
    if (FirstNextHop(mp, &hop) && hop.gateway) {
      const uint8_t* g = reinterpret_cast<const uint8_t*>(hop.gateway);
      FUZZ_CHECK(g >= buf.get() && g + hop.gateway->rta_len <= buf.get() + size);
    }
    return 0;
  }
  std::vector<NetlinkMessage> out;
  bool interrupted = false;
  try {
    ReadReplies(buf.get(), size, seq, mode & 2, "fuzz", &out, &interrupted);
  } catch (const NetlinkError& e) {
    FUZZ_CHECK(e.err > 0);
  }
  return 0;
}
