// Turns one captured frame into its flat record (CaptureRec in
// frame_record.h), and finds probe tokens for the native counting fast path.
#pragma once

#include <cstdint>
#include <string>

#include "frame_codec.h"
#include "ring.h"

namespace vxprobe {

// Fills CaptureRec::kSize doubles at `out`: the ring metadata (kernel
// timestamp, direction, lengths, stripped VLAN, checksum-pending) and the
// parse record. Returns true when a parse error message was stored.
bool FillCaptureRecord(const RingFrame& f, const ParseOptions& parse, double* out,
                       std::string* error, std::string* quoted_error);

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
