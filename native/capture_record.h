// Turns one captured frame into its flat record (CaptureRec in
// frame_record.h), and finds probe tokens for the native counting fast path.
#pragma once

#include <cstdint>
#include <string>

#include "frame_codec.h"
#include "ring.h"
#include "token_find.h"

namespace vxprobe {

// Fills CaptureRec::kSize doubles at `out`: the ring metadata (kernel
// timestamp, direction, lengths, stripped VLAN, checksum-pending) and the
// parse record. Returns true when a parse error message was stored.
bool FillCaptureRecord(const RingFrame& f, const ParseOptions& parse, double* out,
                       std::string* error, std::string* quoted_error);

}  // namespace vxprobe
