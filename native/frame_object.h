// Fast construction of plain JS objects from native code: property names are
// created once per thread/environment and kept as references, and each object
// gets all its properties in one napi_define_properties call, which Node
// turns into CreateDataProperty (no prototype-chain [[Set]] lookups, no
// re-internalizing the key strings per frame).
#pragma once

#include <napi.h>

#include <cstddef>

namespace vxprobe {

#define VXPROBE_FRAME_KEYS(X)                                                               \
  X(length) X(eth) X(ipv4) X(udp) X(icmp) X(vxlan) X(inner) X(payloadOffset)              \
  X(payloadLength) X(token) X(error) X(src) X(dst) X(vlan) X(etherType) X(ttl) X(tos)     \
  X(id) X(dontFragment) X(moreFragments) X(fragmentOffset) X(totalLength) X(headerLength) \
  X(protocol) X(checksumOk) X(srcPort) X(dstPort) X(checksum) X(type) X(code) X(seq)      \
  X(nextHopMtu) X(quoted) X(flags) X(vni) X(valid) X(runId) X(probeId) X(layer)           \
  X(offset) X(message)

enum class Key : int {
#define VXPROBE_KEY_ENUM(name) name,
  VXPROBE_FRAME_KEYS(VXPROBE_KEY_ENUM)
#undef VXPROBE_KEY_ENUM
      kCount
};

// The key strings of the current environment (created on first use).
class FrameKeys {
 public:
  explicit FrameKeys(napi_env env);
  napi_value Get(Key k);

 private:
  napi_env env_;
  napi_value array_ = nullptr;
  napi_value values_[static_cast<int>(Key::kCount)] = {};
};

// Collects up to kMax properties and creates the object in one call.
class ObjectBuilder {
 public:
  static constexpr size_t kMax = 16;
  ObjectBuilder(napi_env env, FrameKeys& keys) : env_(env), keys_(keys) {}
  ObjectBuilder& Add(Key k, napi_value v);
  ObjectBuilder& Num(Key k, double v);
  ObjectBuilder& Bool(Key k, bool v);
  ObjectBuilder& Null(Key k);
  ObjectBuilder& Str(Key k, const char* s, size_t len);
  napi_value Build();

 private:
  napi_env env_;
  FrameKeys& keys_;
  napi_property_descriptor props_[kMax];
  size_t n_ = 0;
};

}  // namespace vxprobe
