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

}  // namespace vxprobe
