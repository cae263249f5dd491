// Turns one captured frame into the record JS receives, and finds probe
// tokens for the native counting fast path.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "frame_codec.h"
#include "ring.h"
#include "token_find.h"

namespace vxprobe {

// {time, direction, length, frame, raw?, vlan?}
Napi::Object CaptureRecord(Napi::Env env, const RingFrame& f, const ParseOptions& parse,
                           bool with_raw);

}  // namespace vxprobe
