// A raw NETLINK_ROUTE socket (no libmnl/libnl): dumps and single requests.
// This layer knows nothing about N-API; failures throw NetlinkError, which the
// binding turns into a SystemError with code/errno/syscall.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"

namespace vxprobe {

struct NetlinkError {
  int err;
  std::string syscall;
};

// Builds one request message; attributes are appended with Add().
class NetlinkRequest {
 public:
  NetlinkRequest(uint16_t type, uint16_t flags);
  // Appends the fixed family header (ifinfomsg, rtmsg, ndmsg ...).
  void AddHeader(const void* data, size_t len);
  void AddAttr(uint16_t type, const void* data, size_t len);
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return buf_.size(); }

 private:
  std::vector<uint8_t> buf_;
};

// One reply message, copied out of the receive buffer.
struct NetlinkMessage {
  uint16_t type;
  uint16_t flags;
  std::vector<uint8_t> payload;  // everything after the nlmsghdr
};

// Attribute table of one message: index = attribute type (nested flag masked).
class AttrTable {
 public:
  AttrTable(const uint8_t* data, size_t len, size_t max_type);
  const rtattr* get(size_t type) const { return type < attrs_.size() ? attrs_[type] : nullptr; }
  bool has(size_t type) const { return get(type) != nullptr; }
  static const uint8_t* Data(const rtattr* a) {
    return reinterpret_cast<const uint8_t*>(RTA_DATA(a));
  }
  static size_t Len(const rtattr* a) { return RTA_PAYLOAD(a); }

 private:
  std::vector<const rtattr*> attrs_;
};

// What one received datagram meant for the exchange numbered `seq`.
enum class ReplyStatus { kMore, kDone, kAck, kRestart };

// Walks the messages of one datagram (plain C++, fuzzable): appends data
// messages of exchange `seq` to *out, sets *interrupted on NLM_F_DUMP_INTR,
// and throws NetlinkError for a kernel error or a malformed NLMSG_ERROR
// (EBADMSG). In a dump an ACK is skipped; otherwise it ends the exchange.
ReplyStatus ReadReplies(const uint8_t* buf, size_t len, uint32_t seq, bool dump,
                        const char* what, std::vector<NetlinkMessage>* out, bool* interrupted);

// recv() into *buf that keeps only datagrams from the kernel (nl_pid 0);
// returns the length, or -errno.
ssize_t ReceiveFromKernel(int fd, std::vector<uint8_t>* buf);

// The first next hop of an RTA_MULTIPATH attribute: its ifindex, flags and
// RTA_GATEWAY (nullptr when absent). rtnh_len is trusted only as far as the
// attribute reaches. Returns false when no whole next hop is there.
struct NextHop {
  int ifindex = 0;
  unsigned flags = 0;
  const rtattr* gateway = nullptr;
};
bool FirstNextHop(const rtattr* multipath, NextHop* out);

class NetlinkSocket {
 public:
  NetlinkSocket();  // throws NetlinkError
  // Sends a NLM_F_DUMP request and returns every message of the dump. Retries
  // the whole dump when the kernel says it was interrupted (NLM_F_DUMP_INTR)
  // or our receive queue overflowed (ENOBUFS).
  std::vector<NetlinkMessage> Dump(NetlinkRequest& req);
  // Sends a request with NLM_F_ACK; returns the reply messages (for a GET) or
  // nothing (for an ACKed change). A negative error in the ACK throws.
  std::vector<NetlinkMessage> Request(NetlinkRequest& req, const char* syscall);

 private:
  bool DumpOnce(NetlinkRequest& req, std::vector<NetlinkMessage>* out);
  void Send(NetlinkRequest& req);
  ssize_t Receive();
  UniqueFd fd_;
  uint32_t seq_ = 0;
  std::vector<uint8_t> rx_;
};

}  // namespace vxprobe
