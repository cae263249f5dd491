// The token search of the capture fast path, in plain C++ (no N-API) so that
// it can be fuzzed on its own (docs/native-hardening.md). The token layout
// comes from frame_codec.h, its one definition (docs/frame-path.md).
#include "token_find.h"

#include <cstring>

#include "frame_codec.h"

namespace vxprobe {

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
