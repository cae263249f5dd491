#include "frame_spec.h"

#include <arpa/inet.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "frame_codec.h"

namespace vxprobe {
namespace {

// Reads fields of one JS object, naming errors with a path prefix ("inner.").
class Fields {
 public:
  Fields(Napi::Env env, Napi::Object o, std::string prefix)
      : env_(env), o_(o), prefix_(std::move(prefix)) {}

  std::string Name(const char* key) const { return prefix_ + key; }
  bool Has(const char* key) const { return !o_.Get(key).IsUndefined(); }

  double Int(const char* key, double min, double max, double dflt, bool required = false) const {
    Napi::Value v = o_.Get(key);
    if (v.IsUndefined()) {
      if (required) throw Napi::TypeError::New(env_, Name(key) + " is required");
      return dflt;
    }
    if (!v.IsNumber()) throw Napi::TypeError::New(env_, Name(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= min && d <= max) || std::floor(d) != d) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s must be an integer in %.0f..%.0f, got %.17g",
                    Name(key).c_str(), min, max, d);
      throw Napi::RangeError::New(env_, buf);
    }
    return d;
  }

  bool Bool(const char* key, bool dflt) const {
    Napi::Value v = o_.Get(key);
    if (v.IsUndefined()) return dflt;
    if (!v.IsBoolean()) throw Napi::TypeError::New(env_, Name(key) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  std::string Str(const char* key, const char* what) const {
    Napi::Value v = o_.Get(key);
    if (v.IsUndefined()) throw Napi::TypeError::New(env_, Name(key) + " is required");
    if (!v.IsString()) throw Napi::TypeError::New(env_, Name(key) + " must be " + what);
    return v.As<Napi::String>().Utf8Value();
  }

  void Mac(const char* key, uint8_t* out) const {
    std::string s = Str(key, "a MAC address string");
    unsigned b[6];
    char tail;
    if (s.size() != 17 ||
        std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                    &b[5], &tail) != 6 ||
        !WellFormedMac(s)) {
      throw Napi::TypeError::New(env_, Name(key) + " is not a MAC address like 02:42:ac:11:00:02: \"" +
                                           s.substr(0, 40) + "\"");
    }
    for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(b[i]);
  }

  uint32_t Ip(const char* key) const {
    std::string s = Str(key, "an IPv4 address string");
    in_addr a;
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
      throw Napi::TypeError::New(
          env_, Name(key) + " is not an IPv4 address like 10.0.0.1: \"" + s.substr(0, 40) + "\"");
    }
    return ntohl(a.s_addr);
  }

  Napi::Object Sub(const char* key) const {
    Napi::Value v = o_.Get(key);
    if (!v.IsObject()) throw Napi::TypeError::New(env_, Name(key) + " must be an object");
    return v.As<Napi::Object>();
  }

  Napi::Value Raw(const char* key) const { return o_.Get(key); }
  Napi::Env env() const { return env_; }

 private:
  static bool WellFormedMac(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      bool colon = i % 3 == 2;
      if (colon ? s[i] != ':' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
  }

  Napi::Env env_;
  Napi::Object o_;
  std::string prefix_;
};

void ReadL2(const Fields& f, L2Spec* l2) {
  f.Mac("srcMac", l2->src_mac);
  f.Mac("dstMac", l2->dst_mac);
  l2->vlan = static_cast<int>(f.Int("vlan", 0, 4095, -1));
}

void ReadIp(const Fields& f, IpSpec* ip) {
  ip->src = f.Ip("srcIp");
  ip->dst = f.Ip("dstIp");
  ip->ttl = static_cast<uint8_t>(f.Int("ttl", 0, 255, 64));
  ip->tos = static_cast<uint8_t>(f.Int("tos", 0, 255, 0));
  ip->id = static_cast<uint16_t>(f.Int("ipId", 0, 65535, 0));
  ip->dont_fragment = f.Bool("dontFragment", true);
}

void ReadEcho(const Fields& f, IcmpEchoSpec* e, const char* type_key, const char* code_key,
              const char* id_key, const char* seq_key) {
  e->type = static_cast<uint8_t>(f.Int(type_key, 0, 255, 8));
  e->code = static_cast<uint8_t>(f.Int(code_key, 0, 255, 0));
  e->id = static_cast<uint16_t>(f.Int(id_key, 0, 65535, 0));
  e->seq = static_cast<uint16_t>(f.Int(seq_key, 0, 65535, 0));
}

void ReadInner(const Fields& f, InnerSpec* in) {
  ReadL2(f, &in->l2);
  ReadIp(f, &in->ip);
  std::string proto = f.Str("protocol", "'icmp' or 'udp'");
  if (proto == "udp") {
    in->udp = true;
    in->src_port = static_cast<uint16_t>(f.Int("srcPort", 0, 65535, 49152));
    in->dst_port = static_cast<uint16_t>(f.Int("dstPort", 0, 65535, 7));
  } else if (proto == "icmp") {
    ReadEcho(f, &in->icmp, "icmpType", "icmpCode", "icmpId", "icmpSeq");
  } else {
    throw Napi::TypeError::New(f.env(), f.Name("protocol") + " must be 'icmp' or 'udp'");
  }
}

ChecksumMode ReadChecksumMode(const Fields& f) {
  Napi::Value v = f.Raw("udpChecksum");
  if (v.IsUndefined()) return ChecksumMode::kCompute;
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "compute") return ChecksumMode::kCompute;
  if (s == "zero") return ChecksumMode::kZero;
  if (s == "wrong") return ChecksumMode::kWrong;
  throw Napi::TypeError::New(f.env(), "udpChecksum must be 'compute', 'zero' or 'wrong'");
}

FrameSpec ReadSpec(Napi::Env env, Napi::Object o) {
  Fields f(env, o, "");
  FrameSpec s;
  s.ethernet = !ReadLayerIsIpv4(env, o, "layer");
  if (s.ethernet) ReadL2(f, &s.l2);
  ReadIp(f, &s.ip);
  s.outer_icmp = f.Has("icmp");
  if (s.outer_icmp) {
    if (f.Has("vxlan") || f.Has("inner") || f.Has("srcPort") || f.Has("dstPort")) {
      throw Napi::TypeError::New(env, "icmp excludes srcPort, dstPort, vxlan and inner");
    }
    ReadEcho(Fields(env, f.Sub("icmp"), "icmp."), &s.icmp, "type", "code", "id", "seq");
  } else {
    s.src_port = static_cast<uint16_t>(f.Int("srcPort", 0, 65535, 0, true));
    s.dst_port = static_cast<uint16_t>(f.Int("dstPort", 0, 65535, 0, true));
    s.udp_checksum = ReadChecksumMode(f);
  }
  s.has_vxlan = f.Has("vxlan");
  if (s.has_vxlan) {
    Fields v(env, f.Sub("vxlan"), "vxlan.");
    s.vni = static_cast<uint32_t>(v.Int("vni", 0, 16777215, 0, true));
    s.vxlan_flags = static_cast<uint8_t>(v.Int("flags", 0, 255, 0x08));
    if (!f.Has("inner")) throw Napi::TypeError::New(env, "inner is required with vxlan");
    s.has_inner = true;
    ReadInner(Fields(env, f.Sub("inner"), "inner."), &s.inner);
  } else if (f.Has("inner")) {
    throw Napi::TypeError::New(env, "inner needs vxlan (an inner frame is VXLAN-encapsulated)");
  }
  Napi::Value payload = f.Raw("payload");
  if (!payload.IsUndefined()) {
    if (!payload.IsTypedArray() ||
        payload.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "payload must be a Buffer or Uint8Array");
    }
    auto bytes = payload.As<Napi::Uint8Array>();
    s.payload.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  }
  s.pad_to = static_cast<long>(f.Int("padTo", 0, 65535, -1));
  return s;
}

}  // namespace

bool ReadLayerIsIpv4(Napi::Env env, Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "ethernet") return false;
  if (s == "ipv4") return true;
  throw Napi::TypeError::New(env, std::string(key) + " must be 'ethernet' or 'ipv4'");
}

Napi::Value BuildFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "spec must be an object");
  }
  FrameSpec s = ReadSpec(env, info[0].As<Napi::Object>());
  size_t ip_total;
  size_t size = FrameSize(s, &ip_total);
  size_t pad = 0;
  if (s.pad_to >= 0) {
    if (static_cast<size_t>(s.pad_to) < ip_total) {
      throw Napi::RangeError::New(env, "padTo " + std::to_string(s.pad_to) +
                                           " is below the unpadded IPv4 length " +
                                           std::to_string(ip_total));
    }
    pad = static_cast<size_t>(s.pad_to) - ip_total;
  }
  if (ip_total + pad > 65535) {
    throw Napi::RangeError::New(env, "payload too large: IPv4 total length " +
                                         std::to_string(ip_total + pad) + " exceeds 65535");
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size + pad);
  WriteFrame(s, pad, out.Data());
  return out;
}

}  // namespace vxprobe
