// The codec's N-API face: buildFrame/parseFrameInto for JS, and the option
// reader the packet-socket code shares.
#pragma once
#include <napi.h>

#include <string>

#include "frame_codec.h"

namespace vxprobe {

void InitFrame(Napi::Env env, Napi::Object exports);

// Reads `{vxlanPorts?, layer?}`; undefined gives the defaults. Throws
// TypeError/RangeError naming the option.
ParseOptions ReadParseOptions(Napi::Env env, Napi::Value options);

}  // namespace vxprobe
