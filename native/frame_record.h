// A parsed frame as a flat record of doubles: native code fills a
// Float64Array (per frame for parseFrame, per batch for capture) and
// src/wire/frame-record.ts assembles JS objects with object literals, far
// cheaper than building them through N-API. The layout is defined ONCE, by
// the field lists below: they generate both the offsets C++ writes at and
// the FRAME_LAYOUT object exported to JS at load (docs/frame-path.md), so
// a new field is one line here plus where it is written and read. This file
// and frame_record.cc use no N-API (FRAME_LAYOUT is built in frame.cc), so
// the fuzz targets link them without node (docs/native-hardening.md).
#pragma once

#include <cstddef>
#include <string>

#include "frame_codec.h"

namespace vxprobe {

// X(name, width): `width` doubles named `name`; nested blocks use the
// block's kSize as width. Every block begins with its presence flag where
// the JS value can be null.
#define VXP_ETH_FIELDS(X) X(present, 1) X(src, 6) X(dst, 6) X(vlan, 1) X(etherType, 1)
#define VXP_IP_FIELDS(X)                                                                     \
  X(present, 1) X(src, 1) X(dst, 1) X(ttl, 1) X(tos, 1) X(id, 1) X(dontFragment, 1)           \
  X(moreFragments, 1) X(fragmentOffset, 1) X(totalLength, 1) X(headerLength, 1) X(protocol, 1) \
  X(checksumOk, 1)
// checksumOk: 1, 0, or -1 for null.
#define VXP_UDP_FIELDS(X) \
  X(present, 1) X(srcPort, 1) X(dstPort, 1) X(length, 1) X(checksum, 1) X(checksumOk, 1)
#define VXP_ICMP_FIELDS(X)                                                                    \
  X(present, 1) X(type, 1) X(code, 1) X(checksumOk, 1) X(hasEcho, 1) X(id, 1) X(seq, 1)       \
  X(hasMtu, 1) X(nextHopMtu, 1) X(hasQuoted, 1)
#define VXP_LAYERS_FIELDS(X) \
  X(eth, EthRec::kSize) X(ipv4, IpRec::kSize) X(udp, UdpRec::kSize) X(icmp, IcmpRec::kSize)
#define VXP_VXLAN_FIELDS(X) X(present, 1) X(flags, 1) X(vni, 1) X(valid, 1)
#define VXP_PAYLOAD_FIELDS(X) X(offset, 1) X(length, 1)
#define VXP_TOKEN_FIELDS(X) X(present, 1) X(runId, 1) X(probeId, 1) X(seq, 1)
// layer: index into kErrorLayers.
#define VXP_ERROR_FIELDS(X) X(present, 1) X(layer, 1) X(offset, 1)
#define VXP_FRAME_FIELDS(X)                                                                  \
  X(length, 1) X(outer, LayersRec::kSize) X(vxlan, VxlanRec::kSize) X(hasInner, 1)            \
  X(inner, LayersRec::kSize) X(payload, PayloadRec::kSize) X(token, TokenRec::kSize)          \
  X(error, ErrorRec::kSize)
// A frame, then the packet its outer ICMP error quotes (filled only when
// outer.icmp.hasQuoted is 1).
#define VXP_PARSE_FIELDS(X) X(frame, FrameRec::kSize) X(quoted, FrameRec::kSize)
// One captured frame: ring metadata, then the parse record. time is the
// kernel's receive timestamp (TPACKET_V3 tp_sec/tp_nsec, ms since the
// epoch); vlan is -1 unless the NIC stripped a tag into metadata.
#define VXP_CAPTURE_FIELDS(X)                                                                \
  X(time, 1) X(outgoing, 1) X(wireLength, 1) X(capturedLength, 1) X(vlan, 1)                  \
  X(checksumPending, 1) X(parse, ParseRec::kSize)

// Each field takes the next offset; name##_end_ is skipped over by the width.
#define VXP_OFFSET(name, width) name, name##_end_ = name + (width)-1,
#define VXP_BLOCK(Type, FIELDS) \
  struct Type {                 \
    enum : size_t { FIELDS(VXP_OFFSET) kSize };                                               \
  };
VXP_BLOCK(EthRec, VXP_ETH_FIELDS)
VXP_BLOCK(IpRec, VXP_IP_FIELDS)
VXP_BLOCK(UdpRec, VXP_UDP_FIELDS)
VXP_BLOCK(IcmpRec, VXP_ICMP_FIELDS)
VXP_BLOCK(LayersRec, VXP_LAYERS_FIELDS)
VXP_BLOCK(VxlanRec, VXP_VXLAN_FIELDS)
VXP_BLOCK(PayloadRec, VXP_PAYLOAD_FIELDS)
VXP_BLOCK(TokenRec, VXP_TOKEN_FIELDS)
VXP_BLOCK(ErrorRec, VXP_ERROR_FIELDS)
VXP_BLOCK(FrameRec, VXP_FRAME_FIELDS)
VXP_BLOCK(ParseRec, VXP_PARSE_FIELDS)
VXP_BLOCK(CaptureRec, VXP_CAPTURE_FIELDS)
#undef VXP_BLOCK
#undef VXP_OFFSET

// Error layer names, indexed by ErrorRec::layer.
extern const char* const kErrorLayers[];
extern const size_t kErrorLayerCount;

// Writes one frame's record at `out` (FrameRec::kSize doubles). Only the
// fields behind a set presence flag are written: readers must look at the
// flag first (frame-record.ts does).
void WriteRecord(const ParsedFrame& f, double* out);

// Parses `data` into ParseRec::kSize doubles at `out` (the frame and, for an
// ICMP error, the quoted packet). The error messages are stored only when
// there is one; returns true when either is set.
bool ParseToRecord(const uint8_t* data, size_t len, const ParseOptions& opts, double* out,
                   std::string* error, std::string* quoted_error);

}  // namespace vxprobe
