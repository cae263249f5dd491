#include "capture_record.h"

#include <linux/if_packet.h>

#include <cstring>

#include "frame_record.h"

namespace vxprobe {

bool FillCaptureRecord(const RingFrame& f, const ParseOptions& parse, double* out,
                       std::string* error, std::string* quoted_error) {
  out[CaptureRec::time] = f.time_ms;
  out[CaptureRec::outgoing] = f.pkttype == PACKET_OUTGOING ? 1 : 0;
  out[CaptureRec::wireLength] = f.wire_len;
  out[CaptureRec::capturedLength] = f.captured_len;
  out[CaptureRec::vlan] = f.vlan_valid ? (f.vlan_tci & 0x0fff) : -1;
  out[CaptureRec::checksumPending] = f.csum_not_ready ? 1 : 0;
  return ParseToRecord(f.data, f.captured_len, parse, out + CaptureRec::parse, error,
                       quoted_error);
}

bool FindToken(const uint8_t* data, size_t len, uint32_t run_id, TokenHit* hit) {
  constexpr size_t kPrefix = kTokenRunIdOffset + 4;
  static_assert(kPrefix == 12 && kTokenSeqOffset + 4 == kTokenLength, "token layout");
  uint8_t prefix[kPrefix] = {};
  std::memcpy(prefix, kTokenMagic, sizeof kTokenMagic);
  prefix[4] = kTokenVersion;
  prefix[kTokenRunIdOffset] = static_cast<uint8_t>(run_id >> 24);
  prefix[kTokenRunIdOffset + 1] = static_cast<uint8_t>(run_id >> 16);
  prefix[kTokenRunIdOffset + 2] = static_cast<uint8_t>(run_id >> 8);
  prefix[kTokenRunIdOffset + 3] = static_cast<uint8_t>(run_id);
  if (len < kTokenLength) return false;
  // Only frames that are UDP at the outer level: an ICMP error quoting one of
  // our probes carries its token too, but it is not the probe arriving.
  size_t l3 = 14;
  uint16_t ethertype = static_cast<uint16_t>((data[12] << 8) | data[13]);
  if (ethertype == 0x8100) {
    l3 = 18;
    ethertype = static_cast<uint16_t>((data[16] << 8) | data[17]);
  }
  if (ethertype != 0x0800 || len < l3 + 20 || data[l3 + 9] != 17) return false;
  const uint8_t* at = static_cast<const uint8_t*>(memmem(data, len, prefix, sizeof(prefix)));
  if (!at || static_cast<size_t>(data + len - at) < kTokenLength) return false;
  auto be32 = [](const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  };
  hit->probe_id = be32(at + kTokenProbeIdOffset);
  hit->seq = be32(at + kTokenSeqOffset);
  return true;
}

}  // namespace vxprobe
