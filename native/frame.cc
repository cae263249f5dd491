// ParsedFrame -> JS object. Called per captured frame, so objects are built
// straight from the fixed-size structs with no intermediate copies.
#include "frame.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "boundary.h"
#include "frame_object.h"
#include "frame_record.h"
#include "frame_spec.h"

namespace vxprobe {
namespace {

using K = Key;

void AddMac(ObjectBuilder& b, K k, const uint8_t* m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  b.Str(k, buf, 17);
}

void AddIp(ObjectBuilder& b, K k, uint32_t a) {
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                        a & 0xff);
  b.Str(k, buf, static_cast<size_t>(n));
}

struct Ctx {
  napi_env env;
  FrameKeys& keys;
  const uint8_t* data;
  const ParseOptions& opts;
  ObjectBuilder New() { return ObjectBuilder(env, keys); }
  napi_value Null() {
    napi_value n;
    napi_get_null(env, &n);
    return n;
  }
};

napi_value EthObject(Ctx& c, const Layers& l) {
  if (!l.has_eth) return c.Null();
  ObjectBuilder b = c.New();
  AddMac(b, K::src, l.eth.src);
  AddMac(b, K::dst, l.eth.dst);
  if (l.eth.vlan < 0)
    b.Null(K::vlan);
  else
    b.Num(K::vlan, l.eth.vlan);
  return b.Num(K::etherType, l.eth.ether_type).Build();
}

napi_value IpObject(Ctx& c, const Layers& l) {
  if (!l.has_ip) return c.Null();
  const Ipv4Info& ip = l.ip;
  ObjectBuilder b = c.New();
  AddIp(b, K::src, ip.src);
  AddIp(b, K::dst, ip.dst);
  return b.Num(K::ttl, ip.ttl)
      .Num(K::tos, ip.tos)
      .Num(K::id, ip.id)
      .Bool(K::dontFragment, ip.dont_fragment)
      .Bool(K::moreFragments, ip.more_fragments)
      .Num(K::fragmentOffset, ip.fragment_offset)
      .Num(K::totalLength, ip.total_length)
      .Num(K::headerLength, ip.header_length)
      .Num(K::protocol, ip.protocol)
      .Bool(K::checksumOk, ip.checksum_ok)
      .Build();
}

napi_value UdpObject(Ctx& c, const Layers& l) {
  if (!l.has_udp) return c.Null();
  const UdpInfo& u = l.udp;
  ObjectBuilder b = c.New();
  b.Num(K::srcPort, u.src_port).Num(K::dstPort, u.dst_port).Num(K::length, u.length);
  b.Num(K::checksum, u.checksum);
  if (u.checksum_ok < 0)
    b.Null(K::checksumOk);
  else
    b.Bool(K::checksumOk, u.checksum_ok == 1);
  return b.Build();
}

napi_value FrameObject(Ctx& c, const uint8_t* data, const ParsedFrame& f);

napi_value IcmpObject(Ctx& c, const uint8_t* data, const Layers& l) {
  if (!l.has_icmp) return c.Null();
  const IcmpInfo& i = l.icmp;
  ObjectBuilder b = c.New();
  b.Num(K::type, i.type).Num(K::code, i.code).Bool(K::checksumOk, i.checksum_ok);
  if (i.has_echo)
    b.Num(K::id, i.id).Num(K::seq, i.seq);
  else
    b.Null(K::id).Null(K::seq);
  if (i.has_mtu)
    b.Num(K::nextHopMtu, i.next_hop_mtu);
  else
    b.Null(K::nextHopMtu);
  if (i.has_quoted) {
    ParsedFrame q;
    ParseFrame(data + i.quoted_offset, i.quoted_length, c.opts, true, &q);
    b.Add(K::quoted, FrameObject(c, data + i.quoted_offset, q));
  } else {
    b.Null(K::quoted);
  }
  return b.Build();
}

napi_value FrameObject(Ctx& c, const uint8_t* data, const ParsedFrame& f) {
  ObjectBuilder o = c.New();
  o.Num(K::length, static_cast<double>(f.length));
  o.Add(K::eth, EthObject(c, f.outer));
  o.Add(K::ipv4, IpObject(c, f.outer));
  o.Add(K::udp, UdpObject(c, f.outer));
  o.Add(K::icmp, IcmpObject(c, data, f.outer));
  if (f.has_vxlan) {
    o.Add(K::vxlan, c.New()
                        .Num(K::flags, f.vxlan.flags)
                        .Num(K::vni, f.vxlan.vni)
                        .Bool(K::valid, f.vxlan.valid)
                        .Build());
  } else {
    o.Null(K::vxlan);
  }
  if (f.has_inner) {
    o.Add(K::inner, c.New()
                        .Add(K::eth, EthObject(c, f.inner))
                        .Add(K::ipv4, IpObject(c, f.inner))
                        .Add(K::udp, UdpObject(c, f.inner))
                        .Add(K::icmp, IcmpObject(c, data, f.inner))
                        .Build());
  } else {
    o.Null(K::inner);
  }
  o.Num(K::payloadOffset, static_cast<double>(f.payload_offset));
  o.Num(K::payloadLength, static_cast<double>(f.payload_length));
  if (f.has_token) {
    o.Add(K::token, c.New()
                        .Num(K::runId, f.token.run_id)
                        .Num(K::probeId, f.token.probe_id)
                        .Num(K::seq, f.token.seq)
                        .Build());
  } else {
    o.Null(K::token);
  }
  if (f.has_error) {
    ObjectBuilder e = c.New();
    e.Str(K::layer, f.error.layer, std::strlen(f.error.layer));
    e.Num(K::offset, static_cast<double>(f.error.offset));
    e.Str(K::message, f.error.message.data(), f.error.message.size());
    o.Add(K::error, e.Build());
  } else {
    o.Null(K::error);
  }
  return o.Build();
}

bool IsUint8Array(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

// Options are read before any data pointer is taken: reading them runs JS
// (getters, Proxy traps) that may detach or free the buffer, so a pointer
// taken earlier could point at freed memory (docs/native-hardening.md).
// Checks that run no JS come first, so the error for a bad buffer is stable.
Napi::Value ParseFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !IsUint8Array(info[0])) {
    throw Napi::TypeError::New(env, "buf must be a Buffer or Uint8Array");
  }
  ParseOptions opts = ReadParseOptions(env, info.Length() > 1 ? info[1] : env.Undefined());
  auto buf = info[0].As<Napi::Uint8Array>();  // wrapped now: pointer and length are current
  // Building the object creates JS values, so the bytes are copied first:
  // nothing that runs meanwhile can pull them away.
  std::vector<uint8_t> bytes(buf.Data(), buf.Data() + buf.ByteLength());
  return ParseFrameToObject(env, bytes.data(), bytes.size(), opts);
}

// Fast path: fills a Float64Array record (layout in frame_record.h) and
// returns undefined, or [outerErrorMessage|null, quotedErrorMessage|null]
// when a parse error occurred (strings are only made then).
Napi::Value ParseFrameIntoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !IsUint8Array(info[0])) {
    throw Napi::TypeError::New(env, "buf must be a Buffer or Uint8Array");
  }
  auto record_ok = [&]() {
    return info.Length() >= 2 && info[1].IsTypedArray() &&
           info[1].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array &&
           info[1].As<Napi::Float64Array>().ElementLength() >= rec::kTotal;
  };
  const std::string record_error =
      "record must be a Float64Array of at least " + std::to_string(rec::kTotal) + " elements";
  if (!record_ok()) throw Napi::TypeError::New(env, record_error);
  ParseOptions opts = ReadParseOptions(env, info.Length() > 2 ? info[2] : env.Undefined());
  // The option getters may have detached the record: check it again, then
  // take both pointers; from here on no JS runs until the parse is done.
  if (!record_ok()) throw Napi::TypeError::New(env, record_error + " (it was detached)");
  auto buf = info[0].As<Napi::Uint8Array>();
  double* out = info[1].As<Napi::Float64Array>().Data();
  std::string error, quoted_error;
  if (!ParseFrameToRecord(buf.Data(), buf.ByteLength(), opts, out, &error, &quoted_error)) {
    return env.Undefined();
  }
  Napi::Array msgs = Napi::Array::New(env, 2);
  msgs.Set(0u, error.empty() ? env.Null() : Napi::Value(Napi::String::New(env, error)));
  msgs.Set(1u,
           quoted_error.empty() ? env.Null() : Napi::Value(Napi::String::New(env, quoted_error)));
  return msgs;
}

}  // namespace

bool ParseFrameToRecord(const uint8_t* data, size_t len, const ParseOptions& opts, double* out,
                        std::string* error, std::string* quoted_error) {
  ParsedFrame f;
  ParseFrame(data, len, opts, false, &f);
  WriteRecord(f, out);
  if (f.has_error) *error = f.error.message;
  if (f.outer.has_icmp && f.outer.icmp.has_quoted) {
    ParsedFrame q;
    ParseFrame(data + f.outer.icmp.quoted_offset, f.outer.icmp.quoted_length, opts, true, &q);
    WriteRecord(q, out + rec::kRecord);
    if (q.has_error) *quoted_error = q.error.message;
  }
  return f.has_error || !quoted_error->empty();
}

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

Napi::Object ParseFrameToObject(Napi::Env env, const uint8_t* data, size_t len,
                                const ParseOptions& opts) {
  ParsedFrame f;
  ParseFrame(data, len, opts, false, &f);
  FrameKeys keys(env);
  Ctx c{env, keys, data, opts};
  return Napi::Object(env, FrameObject(c, data, f));
}

void InitFrame(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFrame", Napi::Function::New(env, Guarded<ParseFrameJs>, "parseFrame"));
  exports.Set("parseFrameInto",
              Napi::Function::New(env, Guarded<ParseFrameIntoJs>, "parseFrameInto"));
  exports.Set("FRAME_RECORD_LENGTH", Napi::Number::New(env, rec::kTotal));
  exports.Set("buildFrame", Napi::Function::New(env, Guarded<BuildFrameJs>, "buildFrame"));
  exports.Set("TOKEN_LENGTH", Napi::Number::New(env, kTokenLength));
  exports.Set("TOKEN_SEQ_OFFSET", Napi::Number::New(env, kTokenSeqOffset));
}

}  // namespace vxprobe
