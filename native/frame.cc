// The codec's N-API face: parseFrame fills a flat record (frame_record.h),
// buildFrame serializes a spec, and the layout/token constants are exported
// so TypeScript never keeps its own copy of them (docs/frame-path.md).
#include "frame.h"

#include <cstring>
#include <string>

#include "boundary.h"
#include "frame_record.h"
#include "frame_spec.h"

namespace vxprobe {
namespace {

bool IsUint8Array(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

// Fills a Float64Array record (ParseRec in frame_record.h) and returns
// undefined, or [outerErrorMessage|null, quotedErrorMessage|null] when a
// parse error occurred (strings are only made then).
// Options are read before any data pointer is taken: reading them runs JS
// (getters, Proxy traps) that may detach or free the buffer or the record, so
// a pointer taken earlier could point at freed memory
// (docs/native-hardening.md). Checks that run no JS come first, so the error
// for a bad buffer is stable.
Napi::Value ParseFrameIntoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !IsUint8Array(info[0])) {
    throw Napi::TypeError::New(env, "buf must be a Buffer or Uint8Array");
  }
  auto record_ok = [&]() {
    return info.Length() >= 2 && info[1].IsTypedArray() &&
           info[1].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array &&
           info[1].As<Napi::Float64Array>().ElementLength() >= ParseRec::kSize;
  };
  const std::string record_error = "record must be a Float64Array of at least " +
                                   std::to_string(ParseRec::kSize) + " elements";
  if (!record_ok()) throw Napi::TypeError::New(env, record_error);
  ParseOptions opts = ReadParseOptions(env, info.Length() > 2 ? info[2] : env.Undefined());
  // The option getters may have detached the record: check it again, then
  // take both pointers; from here on no JS runs until the parse is done.
  if (!record_ok()) throw Napi::TypeError::New(env, record_error + " (it was detached)");
  auto buf = info[0].As<Napi::Uint8Array>();
  double* out = info[1].As<Napi::Float64Array>().Data();
  std::string error, quoted_error;
  if (!ParseToRecord(buf.Data(), buf.ByteLength(), opts, out, &error, &quoted_error)) {
    return env.Undefined();
  }
  Napi::Array msgs = Napi::Array::New(env, 2);
  msgs.Set(0u, error.empty() ? env.Null() : Napi::Value(Napi::String::New(env, error)));
  msgs.Set(1u,
           quoted_error.empty() ? env.Null() : Napi::Value(Napi::String::New(env, quoted_error)));
  return msgs;
}

// FRAME_LAYOUT for JS: {eth: {present: 0, src: 1, ..., size: 15}, ip..., errorLayers}.
Napi::Object FrameLayoutObject(Napi::Env env) {
  Napi::Object layout = Napi::Object::New(env);
#define VXP_EXPORT_FIELD(name, width) block.Set(#name, Napi::Number::New(env, Type::name));
#define VXP_EXPORT_BLOCK(key, T, FIELDS)                          \
  {                                                               \
    using Type = T;                                               \
    Napi::Object block = Napi::Object::New(env);                  \
    FIELDS(VXP_EXPORT_FIELD)                                      \
    block.Set("size", Napi::Number::New(env, Type::kSize));       \
    layout.Set(key, block);                                       \
  }
  VXP_EXPORT_BLOCK("eth", EthRec, VXP_ETH_FIELDS)
  VXP_EXPORT_BLOCK("ipv4", IpRec, VXP_IP_FIELDS)
  VXP_EXPORT_BLOCK("udp", UdpRec, VXP_UDP_FIELDS)
  VXP_EXPORT_BLOCK("icmp", IcmpRec, VXP_ICMP_FIELDS)
  VXP_EXPORT_BLOCK("layers", LayersRec, VXP_LAYERS_FIELDS)
  VXP_EXPORT_BLOCK("vxlan", VxlanRec, VXP_VXLAN_FIELDS)
  VXP_EXPORT_BLOCK("payload", PayloadRec, VXP_PAYLOAD_FIELDS)
  VXP_EXPORT_BLOCK("token", TokenRec, VXP_TOKEN_FIELDS)
  VXP_EXPORT_BLOCK("error", ErrorRec, VXP_ERROR_FIELDS)
  VXP_EXPORT_BLOCK("frame", FrameRec, VXP_FRAME_FIELDS)
  VXP_EXPORT_BLOCK("parse", ParseRec, VXP_PARSE_FIELDS)
  VXP_EXPORT_BLOCK("capture", CaptureRec, VXP_CAPTURE_FIELDS)
#undef VXP_EXPORT_BLOCK
#undef VXP_EXPORT_FIELD
  Napi::Array layers = Napi::Array::New(env, kErrorLayerCount);
  for (size_t i = 0; i < kErrorLayerCount; ++i)
    layers.Set(static_cast<uint32_t>(i), Napi::String::New(env, kErrorLayers[i]));
  layout.Set("errorLayers", layers);
  return layout;
}

}  // namespace

ParseOptions ReadParseOptions(Napi::Env env, Napi::Value value) {
  ParseOptions opts;
  if (value.IsUndefined() || value.IsNull()) return opts;
  if (!value.IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value ports = o.Get("vxlanPorts");
  if (!ports.IsUndefined()) {
    if (!ports.IsArray()) throw Napi::TypeError::New(env, "vxlanPorts must be an array of ports");
    Napi::Array arr = ports.As<Napi::Array>();
    // The length is read once: element getters may grow the array, and the
    // ports go into a fixed array (docs/native-hardening.md).
    const uint32_t count = arr.Length();
    if (count > kMaxVxlanPorts) {
      throw Napi::RangeError::New(env, "vxlanPorts holds more than 32 ports");
    }
    opts.vxlan_port_count = 0;
    for (uint32_t i = 0; i < count; ++i) {
      Napi::Value v = arr.Get(i);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 1 && d <= 65535 && static_cast<double>(static_cast<int>(d)) == d)) {
        throw Napi::RangeError::New(env, "vxlanPorts must hold integers in 1..65535");
      }
      opts.vxlan_ports[opts.vxlan_port_count++] = static_cast<uint16_t>(d);
    }
    if (arr.Length() != count) {
      throw Napi::TypeError::New(env, "vxlanPorts changed length while it was being read");
    }
  }
  opts.starts_at_ipv4 = ReadLayerIsIpv4(env, o, "layer");
  return opts;
}

void InitFrame(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFrameInto",
              Napi::Function::New(env, Guarded<ParseFrameIntoJs>, "parseFrameInto"));
  exports.Set("FRAME_LAYOUT", FrameLayoutObject(env));
  exports.Set("buildFrame", Napi::Function::New(env, Guarded<BuildFrameJs>, "buildFrame"));
  Napi::Object token = Napi::Object::New(env);
  token.Set("magic", Napi::String::New(env, kTokenMagic, sizeof kTokenMagic));
  token.Set("version", Napi::Number::New(env, kTokenVersion));
  token.Set("length", Napi::Number::New(env, kTokenLength));
  token.Set("runIdOffset", Napi::Number::New(env, kTokenRunIdOffset));
  token.Set("probeIdOffset", Napi::Number::New(env, kTokenProbeIdOffset));
  token.Set("seqOffset", Napi::Number::New(env, kTokenSeqOffset));
  exports.Set("TOKEN_LAYOUT", token);
}

}  // namespace vxprobe
