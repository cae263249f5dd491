// Turns one captured frame into the record JS receives, and finds probe
// tokens for the native counting fast path.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "frame_codec.h"
#include "ring.h"

namespace vxprobe {

// {time, direction, length, frame, raw?, vlan?}
Napi::Object CaptureRecord(Napi::Env env, const RingFrame& f, const ParseOptions& parse,
                           bool with_raw);

struct TokenHit {
  uint32_t probe_id;
  uint32_t seq;
};

// Looks, in a frame that is IPv4 UDP at the outer level, for a token of run `run_id` ("VXPB",
// version 1, 3 zero bytes, run id, probe id, seq; big endian) anywhere in the frame. Matching the
// 12-byte prefix (magic + version + run id) makes a false hit on other traffic practically
// impossible, and a search avoids depending on the frame's layout.
bool FindToken(const uint8_t* data, size_t len, uint32_t run_id, TokenHit* hit);

}  // namespace vxprobe
