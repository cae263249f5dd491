// A probe's tag (docs/threat-model.md, "Sightings"): the first 8
// bytes of HMAC-SHA256(run key, "vxprobe-probe\0" || runId || probeId || seq),
// the three numbers big-endian. Computed here rather than with node:crypto
// because an agent computes about fifty per pairing in code that runs too
// rarely to be optimised, where createHmac cost ~20 us each against ~1 us
// here (docs/agent.md, "Budgets"). test/unit/probe-tag.test.ts checks this
// byte for byte against node:crypto's HMAC.
#include "probe_tag.h"

#include <napi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "boundary.h"

namespace vxprobe {

namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// FIPS 180-4 SHA-256, for short messages only (this file's two hashes).
class Sha256 {
 public:
  void Update(const uint8_t* data, size_t len) {
    total_ += len;
    while (len > 0) {
      size_t take = std::min(len, sizeof block_ - used_);
      std::memcpy(block_ + used_, data, take);
      used_ += take;
      data += take;
      len -= take;
      if (used_ == sizeof block_) {
        Compress();
        used_ = 0;
      }
    }
  }

  std::array<uint8_t, 32> Final() {
    const uint64_t bits = total_ * 8;
    const uint8_t one = 0x80;
    Update(&one, 1);
    const uint8_t zero = 0;
    while (used_ != 56) Update(&zero, 1);
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    Update(length, 8);
    std::array<uint8_t, 32> out{};
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(state_[i] >> (24 - 8 * j));
    }
    return out;
  }

 private:
  void Compress() {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t{block_[4 * i]} << 24) | (uint32_t{block_[4 * i + 1]} << 16) |
             (uint32_t{block_[4 * i + 2]} << 8) | uint32_t{block_[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
      uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
  }

  uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t block_[64] = {};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

constexpr char kLabel[] = "vxprobe-probe";  // with its terminating NUL: 14 bytes

uint32_t ReadUint32(Napi::Env env, const Napi::Value& v, const char* name) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 4294967295.0 && static_cast<double>(static_cast<uint32_t>(d)) == d)) {
    throw Napi::RangeError::New(env, std::string(name) + " must be an integer in 0..4294967295");
  }
  return static_cast<uint32_t>(d);
}

// probeTag(key: Uint8Array (1..64 bytes), runId, probeId, seq) -> Buffer (8 bytes)
Napi::Value ProbeTagJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "key must be a Uint8Array");
  }
  Napi::Uint8Array key = info[0].As<Napi::Uint8Array>();
  if (key.ByteLength() < 1 || key.ByteLength() > 64) {
    throw Napi::RangeError::New(env, "key must hold 1 to 64 bytes");
  }
  uint32_t fields[3] = {ReadUint32(env, info[1], "runId"), ReadUint32(env, info[2], "probeId"),
                        ReadUint32(env, info[3], "seq")};
  uint8_t message[sizeof kLabel + 12];
  std::memcpy(message, kLabel, sizeof kLabel);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) message[sizeof kLabel + 4 * i + j] = static_cast<uint8_t>(fields[i] >> (24 - 8 * j));
  }
  uint8_t inner_pad[64], outer_pad[64];
  for (size_t i = 0; i < 64; ++i) {
    uint8_t k = i < key.ByteLength() ? key.Data()[i] : 0;
    inner_pad[i] = k ^ 0x36;
    outer_pad[i] = k ^ 0x5c;
  }
  Sha256 inner;
  inner.Update(inner_pad, sizeof inner_pad);
  inner.Update(message, sizeof message);
  std::array<uint8_t, 32> inner_hash = inner.Final();
  Sha256 outer;
  outer.Update(outer_pad, sizeof outer_pad);
  outer.Update(inner_hash.data(), inner_hash.size());
  std::array<uint8_t, 32> mac = outer.Final();
  return Napi::Buffer<uint8_t>::Copy(env, mac.data(), kProbeTagBytes);
}

}  // namespace

void InitProbeTag(Napi::Env env, Napi::Object exports) {
  exports.Set("probeTag", Napi::Function::New(env, Guarded<ProbeTagJs>, "probeTag"));
}

}  // namespace vxprobe
