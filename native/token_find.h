// Probe tokens found in captured frames without parsing them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vxprobe {

struct TokenHit {
  uint32_t probe_id;
  uint32_t seq;
};

// Looks, in a frame that is IPv4 UDP at the outer level, for a token of run `run_id`
// (kToken* in frame_codec.h) anywhere in the frame. Matching the 12-byte prefix (magic + version
// + run id) makes a false hit on other traffic practically impossible, and a search avoids
// depending on the frame's layout.
bool FindToken(const uint8_t* data, size_t len, uint32_t run_id, TokenHit* hit);

}  // namespace vxprobe
