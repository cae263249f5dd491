// Small system helpers: whole-file writes and bounded reads on the libuv pool
// (file_ops.cc), TCP_MAXSEG for the control channel (tcp_mss.cc).
#pragma once

#include <napi.h>

namespace vxprobe {

void InitFileOps(Napi::Env env, Napi::Object exports);
void InitTcpMss(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
