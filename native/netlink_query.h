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

void InitNetlinkQuery(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
