// Single-object rtnetlink requests: route lookup for one destination, one
// neighbor entry, and triggering neighbor (ARP) resolution.
#pragma once

#include <linux/neighbour.h>
#include <napi.h>

#include <string>
#include <unordered_map>

#include "netlink_util.h"

namespace vxprobe {

// A NeighInfo object (types.ts) from one RTM_NEWNEIGH message.
Napi::Object NeighborObject(Napi::Env env, KeyCache& key,
                            const std::unordered_map<int, std::string>& names,
                            const ndmsg* h, const AttrTable& attrs);

// routeGet's request and reply, split so the request can run on a pool
// thread (netlink_async.cc) and the object be built on the JS thread.
struct RouteArgs {
  ParsedIp dst{};
  int oif = 0;
};
struct RouteReply {
  std::string text;  // the destination as text
  NetlinkMessage message;
  std::unordered_map<int, std::string> names;
};
// Reads and checks (dst, oif?) (TypeError/RangeError naming the argument).
RouteArgs ReadRouteArgs(const Napi::CallbackInfo& info);
// The kernel's route for dst; no N-API, any thread. Throws NetlinkError (ENOENT: no reply).
RouteReply RouteLookup(const ParsedIp& dst, int oif);
Napi::Object RouteObject(Napi::Env env, const RouteReply& r);

// neighborGet/neighborResolve's request and reply, split the same way
// (neighborGetAsync/neighborResolveAsync in netlink_async.cc).
struct NeighArgs {
  ParsedIp ip{};
  int ifindex = 0;
};
struct NeighReply {
  bool found = false;  // the kernel has an entry
  NetlinkMessage message;
  std::unordered_map<int, std::string> names;
};
// Reads and checks (ip, ifindex) (TypeError/RangeError naming the argument).
NeighArgs ReadNeighArgs(const Napi::CallbackInfo& info);
// The kernel's entry for ip on the device; no N-API, any thread. Throws NetlinkError.
NeighReply NeighborLookup(const NeighArgs& args);
// The NeighInfo object, or null when the kernel has no entry.
Napi::Value NeighborValue(Napi::Env env, const NeighReply& r);
// Starts ARP/ND for ip on the device (see netlink_query.cc); no N-API, any
// thread. Throws NetlinkError (EPERM without CAP_NET_ADMIN).
void NeighborSolicit(const NeighArgs& args);
// "resolve neighbor <ip>": the context of neighborResolve's errors.
std::string SolicitContext(const NeighArgs& args);

void InitNetlinkQuery(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
