#pragma once
#include <napi.h>

namespace vxprobe {
void InitNetlink(Napi::Env env, Napi::Object exports);
}  // namespace vxprobe
