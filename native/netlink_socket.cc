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

ssize_t NetlinkSocket::Receive() {
  for (;;) {
    ssize_t n = ::recv(fd_.get(), rx_.data(), rx_.size(), MSG_TRUNC);
    if (n >= 0) {
      if (static_cast<size_t>(n) > rx_.size()) throw NetlinkError{EMSGSIZE, "recv"};
      return n;
    }
    if (errno == EINTR) continue;
    return -errno;
  }
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
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(rx_.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;  // a stale reply of an aborted dump
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      if (h->nlmsg_type == NLMSG_DONE) return !interrupted;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (e->error == 0) continue;
        if (e->error == -EINTR || e->error == -EBUSY) return false;
        throw NetlinkError{-e->error, "netlink dump"};
      }
      auto* p = static_cast<const uint8_t*>(NLMSG_DATA(h));
      out->push_back({h->nlmsg_type, h->nlmsg_flags,
                      std::vector<uint8_t>(p, p + (h->nlmsg_len - NLMSG_HDRLEN))});
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
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(rx_.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) throw NetlinkError{-e->error, syscall};
        return out;  // the ACK ends the exchange
      }
      if (h->nlmsg_type == NLMSG_DONE) return out;
      auto* p = static_cast<const uint8_t*>(NLMSG_DATA(h));
      out.push_back({h->nlmsg_type, h->nlmsg_flags,
                     std::vector<uint8_t>(p, p + (h->nlmsg_len - NLMSG_HDRLEN))});
    }
  }
}

}  // namespace vxprobe
