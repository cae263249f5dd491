// ETHTOOL ioctls: driver name and the offload feature bits of one interface.
#pragma once

#include <napi.h>

namespace vxprobe {
void InitEthtool(Napi::Env env, Napi::Object exports);
}  // namespace vxprobe
