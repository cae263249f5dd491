// The codec's N-API face: buildFrame/parseFrame for JS, and the helpers the
// packet-socket code uses to parse captured frames without a JS round trip.
#pragma once
#include <napi.h>

#include "frame_codec.h"

namespace vxprobe {

void InitFrame(Napi::Env env, Napi::Object exports);

// Reads `{vxlanPorts?, layer?}`; undefined gives the defaults. Throws
// TypeError/RangeError naming the option.
ParseOptions ReadParseOptions(Napi::Env env, Napi::Value options);

// The parsed frame as the JS `ParsedFrame` object (see src/wire/frame.ts).
Napi::Object ParseFrameToObject(Napi::Env env, const uint8_t* data, size_t len,
                                const ParseOptions& opts);

}  // namespace vxprobe
