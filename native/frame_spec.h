// Validation of JS build specs into FrameSpec: every bad field is a TypeError
// (wrong type, unparsable address) or RangeError (out of range) naming it.
#pragma once
#include <napi.h>

namespace vxprobe {

// `layer` of a spec or parse options: true for 'ipv4', false for 'ethernet'/undefined.
bool ReadLayerIsIpv4(Napi::Env env, Napi::Object o, const char* key);

Napi::Value BuildFrameJs(const Napi::CallbackInfo& info);

}  // namespace vxprobe
