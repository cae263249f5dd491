#pragma once
#include <napi.h>

namespace vxprobe {
void InitPacketSocket(Napi::Env env, Napi::Object exports);
}  // namespace vxprobe
