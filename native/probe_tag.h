// probeTag: a probe's authentication tag, computed natively (probe_tag.cc).
#pragma once

#include <napi.h>

#include <cstddef>

namespace vxprobe {

/** Bytes of the HMAC a probe carries (PROBE_TAG_BYTES in src/pair/probe-auth.ts). */
constexpr size_t kProbeTagBytes = 8;

void InitProbeTag(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
