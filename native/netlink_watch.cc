// netlinkWatchOpen() / netlinkWatchTake(handle) / netlinkWatchClose(handle):
// a NETLINK_ROUTE socket subscribed to the groups that announce changes to
// the tables netlink.cc dumps. Taking drains it without blocking; no wake-up
// ever runs on the JS thread, the kernel only queues. A full queue (ENOBUFS)
// means lost announcements, which reads as "re-read everything".
#include "netlink_announce.h"

#include <linux/neighbour.h>
#include <napi.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "boundary.h"
#include "errors.h"
#include "netlink.h"
#include "netlink_query.h"
#include "netlink_util.h"

namespace vxprobe {

namespace {

constexpr napi_type_tag kWatchTag = {0x7678'7072'6f62'6557ULL, 0x6174'6368'6e6c'696eULL};
constexpr size_t kRxBufferSize = 64 * 1024;
// Room for a burst of announcements between two reads (a node joining adds
// a route, a neighbor and an FDB entry); an overflow only costs a re-read.
constexpr int kRcvBuf = 512 * 1024;

struct Watch {
  UniqueFd fd;
  std::vector<uint8_t> rx = std::vector<uint8_t>(kRxBufferSize);
};

Watch* WatchOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  if (info[0].IsExternal() && napi_check_object_type_tag(env, info[0], &kWatchTag, &tagged) != napi_ok) {
    throw Napi::Error::New(env);
  }
  if (!tagged) throw Napi::TypeError::New(env, "handle must come from netlinkWatchOpen");
  return info[0].As<Napi::External<Watch>>().Data();
}

Napi::Value WatchOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = std::make_unique<Watch>();
  w->fd = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!w->fd.valid()) throw SystemError(env, errno, "socket", "netlink watch");
  if (setsockopt(w->fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kRcvBuf, sizeof kRcvBuf) < 0) {
    setsockopt(w->fd.get(), SOL_SOCKET, SO_RCVBUF, &kRcvBuf, sizeof kRcvBuf);
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                    RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_RULE;
  if (::bind(w->fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    throw SystemError(env, errno, "bind", "netlink watch");
  }
  auto handle = Napi::External<Watch>::New(env, w.get(), [](Napi::Env, Watch* p) { delete p; });
  w.release();  // the External owns it now
  if (napi_type_tag_object(env, handle, &kWatchTag) != napi_ok) throw Napi::Error::New(env);
  return handle;
}

// netlinkWatchTake(handle): {reset, neighbors: [{deleted, ifindex, ifname: null, ip, mac, state}]}.
Napi::Value WatchTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Watch* w = WatchOf(info);
  if (!w->fd.valid()) throw SystemError(env, EBADF, "recv", "netlink watch is closed");
  TableChanges changes;
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(w->fd.get(), w->rx.data(), w->rx.size(), MSG_TRUNC | MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {  // the queue overflowed: announcements were lost
        changes.reset = true;
        continue;
      }
      throw SystemError(env, errno, "recv", "netlink watch");
    }
    // Only the kernel announces; anything else is dropped unread (docs/native-hardening.md).
    if (from_len < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    if (static_cast<size_t>(n) > w->rx.size()) {
      changes.reset = true;  // truncated: we cannot tell what it said
      continue;
    }
    ReadAnnouncements(w->rx.data(), static_cast<size_t>(n), &changes);
  }
  KeyCache key(env);
  const LinkNameMap no_names;  // the caller names the devices from its cached links
  Napi::Array rows = Napi::Array::New(env);
  uint32_t i = 0;
  if (!changes.reset) {
    for (const NetlinkMessage& m : changes.neighbors) {
      const auto* h = reinterpret_cast<const ndmsg*>(m.payload.data());
      AttrTable a(m.payload.data() + NLMSG_ALIGN(sizeof(ndmsg)),
                  m.payload.size() - std::min(m.payload.size(), NLMSG_ALIGN(sizeof(ndmsg))), NDA_MAX);
      if (!a.has(NDA_DST)) continue;
      Napi::Object o = NeighborObject(env, key, no_names, h, a);
      o.Set("deleted", Napi::Boolean::New(env, m.type == RTM_DELNEIGH));
      rows.Set(i++, o);
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("reset", Napi::Boolean::New(env, changes.reset));
  out.Set("neighbors", rows);
  return out;
}

Napi::Value WatchClose(const Napi::CallbackInfo& info) {
  WatchOf(info)->fd.reset();
  return info.Env().Undefined();
}

}  // namespace

void InitNetlinkWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkWatchOpen", Napi::Function::New(env, Guarded<WatchOpen>, "netlinkWatchOpen"));
  exports.Set("netlinkWatchTake", Napi::Function::New(env, Guarded<WatchTake>, "netlinkWatchTake"));
  exports.Set("netlinkWatchClose", Napi::Function::New(env, Guarded<WatchClose>, "netlinkWatchClose"));
}

}  // namespace vxprobe
