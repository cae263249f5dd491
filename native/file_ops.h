// Whole-file writes and bounded reads on the libuv pool (file_ops.cc).
#pragma once

#include <napi.h>

namespace vxprobe {

void InitFileOps(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
