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

void InitNetlinkQuery(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
