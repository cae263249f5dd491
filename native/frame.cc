// The codec's N-API face: parseFrame fills a flat record (frame_record.h),
// buildFrame serializes a spec, and the layout/token constants are exported
// so TypeScript never keeps its own copy of them (docs/frame-path.md).
#include "frame.h"

#include <cstring>
#include <string>

#include "frame_record.h"
#include "frame_spec.h"

namespace vxprobe {
namespace {

// Fills a Float64Array record (ParseRec in frame_record.h) and returns
// undefined, or [outerErrorMessage|null, quotedErrorMessage|null] when a
// parse error occurred (strings are only made then).
Napi::Value ParseFrameIntoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "buf must be a Buffer or Uint8Array");
  }
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::Float64Array>().ElementLength() < ParseRec::kSize) {
    throw Napi::TypeError::New(env, "record must be a Float64Array of at least " +
                                        std::to_string(ParseRec::kSize) + " elements");
  }
  auto buf = info[0].As<Napi::Uint8Array>();
  double* out = info[1].As<Napi::Float64Array>().Data();
  ParseOptions opts = ReadParseOptions(env, info.Length() > 2 ? info[2] : env.Undefined());
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
    if (arr.Length() > kMaxVxlanPorts) {
      throw Napi::RangeError::New(env, "vxlanPorts holds more than 32 ports");
    }
    opts.vxlan_port_count = 0;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 1 && d <= 65535 && static_cast<double>(static_cast<int>(d)) == d)) {
        throw Napi::RangeError::New(env, "vxlanPorts must hold integers in 1..65535");
      }
      opts.vxlan_ports[opts.vxlan_port_count++] = static_cast<uint16_t>(d);
    }
  }
  opts.starts_at_ipv4 = ReadLayerIsIpv4(env, o, "layer");
  return opts;
}

void InitFrame(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFrameInto", Napi::Function::New(env, ParseFrameIntoJs, "parseFrameInto"));
  exports.Set("FRAME_LAYOUT", FrameLayoutObject(env));
  exports.Set("buildFrame", Napi::Function::New(env, BuildFrameJs, "buildFrame"));
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
