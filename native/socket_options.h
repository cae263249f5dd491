// Argument checking for the packet socket: every bad option is a TypeError or
// RangeError that names it.
#pragma once
#include <napi.h>

#include "packet_socket.h"

namespace vxprobe {

// Fills `out` from a JS options object (undefined = defaults). Returns false
// with a pending JS exception on bad input.
bool ParseSocketOptions(Napi::Env env, Napi::Value value, SocketOptions* out);

// buildPortFilter({ports, icmp, snapLen}) -> [{code, jt, jf, k}]: the exact
// program the socket attaches, so tests can run it without root.
Napi::Value BuildPortFilterJs(const Napi::CallbackInfo& info);

// Reads an integer argument in [min, max], throwing a RangeError/TypeError naming it.
int64_t CheckedInteger(Napi::Env env, Napi::Value v, const char* name, int64_t min, int64_t max);

}  // namespace vxprobe
