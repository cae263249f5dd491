// ParsedFrame -> JS object. Called per captured frame, so objects are built
// straight from the fixed-size structs with no intermediate copies.
#include "frame.h"

#include <cstdio>

#include "frame_spec.h"

namespace vxprobe {
namespace {

Napi::String MacString(Napi::Env env, const uint8_t* m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return Napi::String::New(env, buf, 17);
}

Napi::String IpString(Napi::Env env, uint32_t a) {
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                        a & 0xff);
  return Napi::String::New(env, buf, static_cast<size_t>(n));
}

Napi::Value Num(Napi::Env env, double v) { return Napi::Number::New(env, v); }
Napi::Value Bool(Napi::Env env, bool v) { return Napi::Boolean::New(env, v); }

Napi::Value EthObject(Napi::Env env, const Layers& l) {
  if (!l.has_eth) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("src", MacString(env, l.eth.src));
  o.Set("dst", MacString(env, l.eth.dst));
  o.Set("vlan", l.eth.vlan < 0 ? env.Null() : Num(env, l.eth.vlan));
  o.Set("etherType", Num(env, l.eth.ether_type));
  return o;
}

Napi::Value IpObject(Napi::Env env, const Layers& l) {
  if (!l.has_ip) return env.Null();
  const Ipv4Info& ip = l.ip;
  Napi::Object o = Napi::Object::New(env);
  o.Set("src", IpString(env, ip.src));
  o.Set("dst", IpString(env, ip.dst));
  o.Set("ttl", Num(env, ip.ttl));
  o.Set("tos", Num(env, ip.tos));
  o.Set("id", Num(env, ip.id));
  o.Set("dontFragment", Bool(env, ip.dont_fragment));
  o.Set("moreFragments", Bool(env, ip.more_fragments));
  o.Set("fragmentOffset", Num(env, ip.fragment_offset));
  o.Set("totalLength", Num(env, ip.total_length));
  o.Set("headerLength", Num(env, ip.header_length));
  o.Set("protocol", Num(env, ip.protocol));
  o.Set("checksumOk", Bool(env, ip.checksum_ok));
  return o;
}

Napi::Value UdpObject(Napi::Env env, const Layers& l) {
  if (!l.has_udp) return env.Null();
  const UdpInfo& u = l.udp;
  Napi::Object o = Napi::Object::New(env);
  o.Set("srcPort", Num(env, u.src_port));
  o.Set("dstPort", Num(env, u.dst_port));
  o.Set("length", Num(env, u.length));
  o.Set("checksum", Num(env, u.checksum));
  o.Set("checksumOk", u.checksum_ok < 0 ? env.Null() : Bool(env, u.checksum_ok == 1));
  return o;
}

Napi::Object FrameObject(Napi::Env env, const uint8_t* data, const ParsedFrame& f,
                         const ParseOptions& opts);

Napi::Value IcmpObject(Napi::Env env, const uint8_t* data, const Layers& l,
                       const ParseOptions& opts) {
  if (!l.has_icmp) return env.Null();
  const IcmpInfo& c = l.icmp;
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", Num(env, c.type));
  o.Set("code", Num(env, c.code));
  o.Set("checksumOk", Bool(env, c.checksum_ok));
  o.Set("id", c.has_echo ? Num(env, c.id) : env.Null());
  o.Set("seq", c.has_echo ? Num(env, c.seq) : env.Null());
  o.Set("nextHopMtu", c.has_mtu ? Num(env, c.next_hop_mtu) : env.Null());
  if (c.has_quoted) {
    ParsedFrame q;
    ParseFrame(data + c.quoted_offset, c.quoted_length, opts, true, &q);
    o.Set("quoted", FrameObject(env, data + c.quoted_offset, q, opts));
  } else {
    o.Set("quoted", env.Null());
  }
  return o;
}

Napi::Object FrameObject(Napi::Env env, const uint8_t* data, const ParsedFrame& f,
                         const ParseOptions& opts) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("length", Num(env, static_cast<double>(f.length)));
  o.Set("eth", EthObject(env, f.outer));
  o.Set("ipv4", IpObject(env, f.outer));
  o.Set("udp", UdpObject(env, f.outer));
  o.Set("icmp", IcmpObject(env, data, f.outer, opts));
  if (f.has_vxlan) {
    Napi::Object v = Napi::Object::New(env);
    v.Set("flags", Num(env, f.vxlan.flags));
    v.Set("vni", Num(env, f.vxlan.vni));
    v.Set("valid", Bool(env, f.vxlan.valid));
    o.Set("vxlan", v);
  } else {
    o.Set("vxlan", env.Null());
  }
  if (f.has_inner) {
    Napi::Object in = Napi::Object::New(env);
    in.Set("eth", EthObject(env, f.inner));
    in.Set("ipv4", IpObject(env, f.inner));
    in.Set("udp", UdpObject(env, f.inner));
    in.Set("icmp", IcmpObject(env, data, f.inner, opts));
    o.Set("inner", in);
  } else {
    o.Set("inner", env.Null());
  }
  o.Set("payloadOffset", Num(env, static_cast<double>(f.payload_offset)));
  o.Set("payloadLength", Num(env, static_cast<double>(f.payload_length)));
  if (f.has_token) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("runId", Num(env, f.token.run_id));
    t.Set("probeId", Num(env, f.token.probe_id));
    t.Set("seq", Num(env, f.token.seq));
    o.Set("token", t);
  } else {
    o.Set("token", env.Null());
  }
  if (f.has_error) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("layer", Napi::String::New(env, f.error.layer));
    e.Set("offset", Num(env, static_cast<double>(f.error.offset)));
    e.Set("message", Napi::String::New(env, f.error.message));
    o.Set("error", e);
  } else {
    o.Set("error", env.Null());
  }
  return o;
}

Napi::Value ParseFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "buf must be a Buffer or Uint8Array");
  }
  auto buf = info[0].As<Napi::Uint8Array>();
  ParseOptions opts = ReadParseOptions(env, info.Length() > 1 ? info[1] : env.Undefined());
  return ParseFrameToObject(env, buf.Data(), buf.ByteLength(), opts);
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

Napi::Object ParseFrameToObject(Napi::Env env, const uint8_t* data, size_t len,
                                const ParseOptions& opts) {
  ParsedFrame f;
  ParseFrame(data, len, opts, false, &f);
  return FrameObject(env, data, f, opts);
}

void InitFrame(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFrame", Napi::Function::New(env, ParseFrameJs, "parseFrame"));
  exports.Set("buildFrame", Napi::Function::New(env, BuildFrameJs, "buildFrame"));
  exports.Set("TOKEN_LENGTH", Napi::Number::New(env, kTokenLength));
  exports.Set("TOKEN_SEQ_OFFSET", Napi::Number::New(env, kTokenSeqOffset));
}

}  // namespace vxprobe
