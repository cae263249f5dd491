// A parsed frame as a flat record of doubles, for the fast path: native code
// fills a Float64Array and src/wire/frame-record.ts assembles the JS object
// with object literals (about 15x fewer instructions than building it through
// N-API). The layout below is mirrored in frame-record.ts; change both.
#pragma once

#include <cstddef>

#include "frame_codec.h"

namespace vxprobe {

namespace rec {
// Layers block.
constexpr size_t kEth = 0;  // present, src[6], dst[6], vlan (-1 none), etherType
constexpr size_t kIp =
    15;  // present, src, dst, ttl, tos, id, df, mf, fragOff, totalLen, hdrLen, proto, csumOk
constexpr size_t kUdp = 28;  // present, srcPort, dstPort, length, checksum, csumOk (-1 null)
constexpr size_t kIcmp =
    34;  // present, type, code, csumOk, hasEcho, id, seq, hasMtu, mtu, hasQuoted
constexpr size_t kLayers = 44;
// Frame record.
constexpr size_t kLength = 0;
constexpr size_t kOuter = 1;
constexpr size_t kVxlan = kOuter + kLayers;  // present, flags, vni, valid
constexpr size_t kHasInner = kVxlan + 4;
constexpr size_t kInner = kHasInner + 1;
constexpr size_t kPayload = kInner + kLayers;  // offset, length
constexpr size_t kToken = kPayload + 2;        // present, runId, probeId, seq
constexpr size_t kError = kToken + 4;          // present, layer index, offset
constexpr size_t kRecord = kError + 3;         // 103
// A frame record, then the record of the packet its outer ICMP error quotes.
constexpr size_t kTotal = 2 * kRecord;
}  // namespace rec

// Index of an error layer name in kErrorLayers (mirrored in frame-record.ts).
extern const char* const kErrorLayers[];
extern const size_t kErrorLayerCount;

void WriteRecord(const ParsedFrame& f, double* out);

}  // namespace vxprobe
