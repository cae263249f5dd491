#include "capture_record.h"

#include <linux/if_packet.h>

#include <cstring>

#include "frame.h"

namespace vxprobe {

Napi::Object CaptureRecord(Napi::Env env, const RingFrame& f, const ParseOptions& parse,
                           bool with_raw) {
  Napi::Object rec = Napi::Object::New(env);
  rec.Set("time", Napi::Number::New(env, f.time_ms));
  rec.Set("direction", Napi::String::New(env, f.pkttype == PACKET_OUTGOING ? "out" : "in"));
  rec.Set("length", Napi::Number::New(env, f.wire_len));
  rec.Set("frame", ParseFrameToObject(env, f.data, f.captured_len, parse));
  if (with_raw) rec.Set("raw", Napi::Buffer<uint8_t>::Copy(env, f.data, f.captured_len));
  if (f.vlan_valid) rec.Set("vlan", Napi::Number::New(env, f.vlan_tci & 0x0fff));
  if (f.csum_not_ready) rec.Set("checksumPending", Napi::Boolean::New(env, true));
  return rec;
}

}  // namespace vxprobe
