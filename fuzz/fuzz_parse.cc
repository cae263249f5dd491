// The frame parser in every mode on arbitrary bytes: Ethernet or raw IPv4,
// as a frame or as an ICMP quote, with the default or a custom VXLAN port
// list; then the record writer, and the quoted re-parse the capture path does,
// with the quote in its own exact-size buffer so an over-read is caught.
//
// Input: mode byte (bit 0 raw IPv4, bit 1 quote mode, bit 2 custom ports:
// then a count byte and count big-endian ports), then the frame.
#include <cstdint>
#include <cstring>
#include <memory>

#include "frame_codec.h"
#include "frame_record.h"
#include "fuzz_check.h"

using namespace vxprobe;

namespace {

void CheckFrame(const ParsedFrame& f, size_t size, const double* record) {
  FUZZ_CHECK(f.payload_offset <= size);
  FUZZ_CHECK(f.payload_length <= size - f.payload_offset);
  if (f.has_error) {
    FUZZ_CHECK(f.error.layer != nullptr);
    FUZZ_CHECK(f.error.offset <= size);
    FUZZ_CHECK(!f.error.message.empty());
    const double* e = record + FrameRec::error;
    FUZZ_CHECK(e[ErrorRec::present] == 1 && e[ErrorRec::layer] >= 0 &&
               e[ErrorRec::layer] < static_cast<double>(kErrorLayerCount));
  }
  for (const Layers* l : {&f.outer, &f.inner}) {
    if (!l->has_icmp || !l->icmp.has_quoted) continue;
    FUZZ_CHECK(l->icmp.quoted_offset <= size);
    FUZZ_CHECK(l->icmp.quoted_length <= size - l->icmp.quoted_offset);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  ParseOptions opts;
  opts.starts_at_ipv4 = mode & 1;
  const bool quote_mode = mode & 2;
  if (mode & 4) {
    if (size < 1) return 0;
    size_t n = data[0] % (kMaxVxlanPorts + 1);
    ++data;
    --size;
    if (size < 2 * n) return 0;
    for (size_t i = 0; i < n; ++i) {
      opts.vxlan_ports[i] = static_cast<uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
    }
    opts.vxlan_port_count = n;
    data += 2 * n;
    size -= 2 * n;
  }
  // libFuzzer's buffer ends exactly at data + size, so reads past it are caught.
  ParsedFrame f;
  ParseFrame(data, size, opts, quote_mode, &f);
  double record[ParseRec::kSize];
  WriteRecord(f, record + ParseRec::frame);
  CheckFrame(f, size, record + ParseRec::frame);

  if (f.outer.has_icmp && f.outer.icmp.has_quoted) {
    // As ParseToRecord does, but the quote gets a buffer of its own.
    const size_t qlen = f.outer.icmp.quoted_length;
    std::unique_ptr<uint8_t[]> quote(new uint8_t[qlen ? qlen : 1]);
    if (qlen) std::memcpy(quote.get(), data + f.outer.icmp.quoted_offset, qlen);
    ParsedFrame q;
    ParseFrame(quote.get(), qlen, opts, true, &q);
    WriteRecord(q, record + ParseRec::quoted);
    CheckFrame(q, qlen, record + ParseRec::quoted);
    FUZZ_CHECK(!(q.outer.has_icmp && q.outer.icmp.has_quoted));  // one level only
  }
  return 0;
}
