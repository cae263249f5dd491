// FindToken (the capture fast path's token search) against a plain
// byte-by-byte reference: same answer on every input, no read past the frame.
// Input: 4 bytes run id, then the frame.
#include <cstdint>
#include <cstring>

#include "fuzz_check.h"
#include "token_find.h"

using namespace vxprobe;

namespace {

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

bool Reference(const uint8_t* d, size_t len, uint32_t run, TokenHit* hit) {
  if (len < 20) return false;
  size_t l3 = 14;
  unsigned type = d[12] << 8 | d[13];
  if (type == 0x8100) {
    l3 = 18;
    type = d[16] << 8 | d[17];
  }
  if (type != 0x0800 || len < l3 + 20 || d[l3 + 9] != 17) return false;
  const uint8_t prefix[12] = {'V', 'X', 'P', 'B', 1, 0, 0, 0, static_cast<uint8_t>(run >> 24),
                              static_cast<uint8_t>(run >> 16), static_cast<uint8_t>(run >> 8),
                              static_cast<uint8_t>(run)};
  for (size_t at = 0; at + 12 <= len; ++at) {
    if (std::memcmp(d + at, prefix, 12) != 0) continue;
    if (len - at < 20) return false;  // the first match decides, as in FindToken
    hit->probe_id = Be32(d + at + 12);
    hit->seq = Be32(d + at + 16);
    return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint32_t run = Be32(data);
  data += 4;
  size -= 4;
  TokenHit got{}, want{};
  bool found = FindToken(data, size, run, &got);
  bool expected = Reference(data, size, run, &want);
  FUZZ_CHECK(found == expected);
  if (found) FUZZ_CHECK(got.probe_id == want.probe_id && got.seq == want.seq);
  return 0;
}
