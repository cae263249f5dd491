#include "netlink_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vxprobe {
namespace {

// The kernel fills dump skbs up to 32 KiB; 64 KiB leaves room for one big
// single reply (a link with many attributes).
constexpr size_t kRxBufferSize = 64 * 1024;
// Big tables arrive faster than a busy process may read: a large socket
// queue avoids ENOBUFS in the first place (retrying stays the fallback).
constexpr int kSocketRcvBuf = 4 * 1024 * 1024;
constexpr int kMaxDumpAttempts = 5;

size_t Align(size_t n) { return NLMSG_ALIGN(n); }

}  // namespace

NetlinkRequest::NetlinkRequest(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
  nlmsghdr* h = header();
  h->nlmsg_len = NLMSG_HDRLEN;
  h->nlmsg_type = type;
  h->nlmsg_flags = flags | NLM_F_REQUEST;
}

void NetlinkRequest::AddHeader(const void* data, size_t len) {
  size_t at = buf_.size();
  buf_.resize(at + Align(len), 0);
  std::memcpy(buf_.data() + at, data, len);
  header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
}

void NetlinkRequest::AddAttr(uint16_t type, const void* data, size_t len) {
  size_t at = buf_.size();
  buf_.resize(at + RTA_ALIGN(RTA_LENGTH(len)), 0);
  auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
  a->rta_type = type;
  a->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(a), data, len);
  header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
}

AttrTable::AttrTable(const uint8_t* data, size_t len, size_t max_type)
    : attrs_(max_type + 1, nullptr) {
  auto* a = reinterpret_cast<const rtattr*>(data);
  int remaining = static_cast<int>(len);
  for (; RTA_OK(a, remaining); a = RTA_NEXT(a, remaining)) {
    size_t type = a->rta_type & NLA_TYPE_MASK;
    if (type <= max_type) attrs_[type] = a;
  }
}

bool FirstNextHop(const rtattr* mp, NextHop* out) {
  const size_t room = RTA_PAYLOAD(mp);
  if (room < sizeof(rtnexthop)) return false;
  rtnexthop nh;
  std::memcpy(&nh, RTA_DATA(mp), sizeof nh);
  if (nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > room) return false;
  out->ifindex = nh.rtnh_ifindex;
  out->flags = nh.rtnh_flags;
  out->gateway = nullptr;
  if (nh.rtnh_len > RTNH_LENGTH(0)) {
    const auto* first = static_cast<const uint8_t*>(RTA_DATA(mp));
    AttrTable attrs(first + RTNH_LENGTH(0), nh.rtnh_len - RTNH_LENGTH(0), RTA_MAX);
    out->gateway = attrs.get(RTA_GATEWAY);
  }
  return true;
}

NetlinkSocket::NetlinkSocket() : rx_(kRxBufferSize) {
  fd_ = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd_.valid()) throw NetlinkError{errno, "socket"};
  // FORCE works as root and ignores rmem_max; fall back silently otherwise.
  if (setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kSocketRcvBuf, sizeof kSocketRcvBuf) < 0) {
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &kSocketRcvBuf, sizeof kSocketRcvBuf);
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    throw NetlinkError{errno, "bind"};
  }
  // Without this, a reply to a request may carry the whole original message
  // back in NLMSG_ERROR; we never need it.
  int one = 1;
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
}

void NetlinkSocket::Send(NetlinkRequest& req) {
  req.header()->nlmsg_seq = ++seq_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = ::sendto(fd_.get(), req.data(), req.size(), 0,
                         reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) return;
    if (errno != EINTR) throw NetlinkError{errno, "sendto"};
  }
}

ssize_t NetlinkSocket::Receive() { return ReceiveFromKernel(fd_.get(), &rx_); }

ssize_t ReceiveFromKernel(int fd, std::vector<uint8_t>* buf) {
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd, buf->data(), buf->size(), MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n >= 0) {
      // Only the kernel (port id 0) answers our requests. Another process
      // with CAP_NET_ADMIN can unicast to our port id; what it sends is
      // dropped, never parsed (docs/native-hardening.md).
      if (from_len < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
      if (static_cast<size_t>(n) > buf->size()) throw NetlinkError{EMSGSIZE, "recv"};
      return n;
    }
    if (errno == EINTR) continue;
    return -errno;
  }
}

ReplyStatus ReadReplies(const uint8_t* buf, size_t size, uint32_t seq, bool dump,
                        const char* what, std::vector<NetlinkMessage>* out, bool* interrupted) {
  int len = static_cast<int>(size);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(buf); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_seq != seq) continue;  // a stale reply of an aborted exchange
    if (h->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
    if (h->nlmsg_type == NLMSG_DONE) return ReplyStatus::kDone;
    if (h->nlmsg_type == NLMSG_ERROR) {
      // The error code is only there when the message is long enough to hold it.
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) throw NetlinkError{EBADMSG, what};
      nlmsgerr e;
      std::memcpy(&e, NLMSG_DATA(h), sizeof e);
      if (e.error == 0) {
        if (dump) continue;  // an ACK inside a dump carries nothing
        return ReplyStatus::kAck;
      }
      if (e.error == -EINTR || e.error == -EBUSY) return ReplyStatus::kRestart;
      // A real errno is small and negative; anything else is a malformed reply.
      throw NetlinkError{e.error < 0 && e.error > -4096 ? -e.error : EBADMSG, what};
    }
    auto* p = static_cast<const uint8_t*>(NLMSG_DATA(h));
    out->push_back({h->nlmsg_type, h->nlmsg_flags,
                    std::vector<uint8_t>(p, p + (h->nlmsg_len - NLMSG_HDRLEN))});
  }
  return ReplyStatus::kMore;
}

// Returns false when the dump must be restarted.
bool NetlinkSocket::DumpOnce(NetlinkRequest& req, std::vector<NetlinkMessage>* out) {
  out->clear();
  Send(req);
  const uint32_t seq = seq_;
  bool interrupted = false;
  for (;;) {
    ssize_t n = Receive();
    if (n == -ENOBUFS) {
      // Messages were lost; Dump() retries on a fresh socket, which also
      // discards whatever is left of this dump.
      return false;
    }
    if (n < 0) throw NetlinkError{static_cast<int>(-n), "recv"};
    switch (ReadReplies(rx_.data(), static_cast<size_t>(n), seq, true, "netlink dump", out,
                        &interrupted)) {
      case ReplyStatus::kDone: return !interrupted;
      case ReplyStatus::kRestart: return false;
      case ReplyStatus::kAck:
      case ReplyStatus::kMore: break;
    }
  }
}

std::vector<NetlinkMessage> NetlinkSocket::Dump(NetlinkRequest& req) {
  req.header()->nlmsg_flags |= NLM_F_DUMP;
  std::vector<NetlinkMessage> out;
  for (int attempt = 0; attempt < kMaxDumpAttempts; ++attempt) {
    if (DumpOnce(req, &out)) return out;
    // A fresh socket discards the rest of the broken dump cleanly.
    NetlinkSocket fresh;
    fd_ = std::move(fresh.fd_);
  }
  throw NetlinkError{EAGAIN, "netlink dump (table kept changing)"};
}

std::vector<NetlinkMessage> NetlinkSocket::Request(NetlinkRequest& req, const char* syscall) {
  req.header()->nlmsg_flags |= NLM_F_ACK;
  Send(req);
  const uint32_t seq = seq_;
  std::vector<NetlinkMessage> out;
  for (;;) {
    ssize_t n = Receive();
    if (n < 0) throw NetlinkError{static_cast<int>(-n), "recv"};
    bool interrupted = false;
    switch (ReadReplies(rx_.data(), static_cast<size_t>(n), seq, false, syscall, &out,
                        &interrupted)) {
      case ReplyStatus::kAck:  // the ACK ends the exchange
      case ReplyStatus::kDone: return out;
      case ReplyStatus::kRestart: throw NetlinkError{EINTR, syscall};
      case ReplyStatus::kMore: break;
    }
  }
}

}  // namespace vxprobe
