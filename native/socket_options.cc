#include "socket_options.h"

#include <cmath>
#include <string>

#include "bpf.h"

namespace vxprobe {

int64_t CheckedInteger(Napi::Env env, Napi::Value v, const char* name, int64_t min, int64_t max) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    throw Napi::RangeError::New(env, std::string(name) + " must be an integer from " +
                                         std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int64_t>(d);
}

namespace {

std::vector<uint16_t> PortList(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsArray())
    throw Napi::TypeError::New(env, std::string(name) + " must be an array of ports");
  auto arr = v.As<Napi::Array>();
  // The length is read once and re-checked at the end: element getters run JS
  // that may grow the array past the limit (docs/native-hardening.md).
  const uint32_t count = arr.Length();
  if (count > kMaxFilterPorts) {
    throw Napi::RangeError::New(
        env, std::string(name) + " holds more than " + std::to_string(kMaxFilterPorts) + " ports");
  }
  std::vector<uint16_t> ports;
  ports.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    ports.push_back(static_cast<uint16_t>(CheckedInteger(env, arr.Get(i), item.c_str(), 1, 65535)));
  }
  if (arr.Length() != count) {
    throw Napi::TypeError::New(env, std::string(name) + " changed length while it was being read");
  }
  return ports;
}

bool Flag(Napi::Env env, Napi::Object o, const char* name, bool dflt) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return dflt;
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace

bool ParseSocketOptions(Napi::Env env, Napi::Value value, SocketOptions* out) {
  if (value.IsUndefined() || value.IsNull()) return true;
  if (!value.IsObject()) {
    Napi::TypeError::New(env, "options must be an object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = value.As<Napi::Object>();
  out->capture = Flag(env, o, "capture", out->capture);
  out->icmp = Flag(env, o, "icmp", out->icmp);
  out->promiscuous = Flag(env, o, "promiscuous", out->promiscuous);
  out->raw = Flag(env, o, "raw", out->raw);
  if (!o.Get("ports").IsUndefined()) out->ports = PortList(env, o.Get("ports"), "ports");
  if (!o.Get("vxlanPorts").IsUndefined()) {
    std::vector<uint16_t> ports = PortList(env, o.Get("vxlanPorts"), "vxlanPorts");
    if (ports.size() > kMaxVxlanPorts) {
      throw Napi::RangeError::New(
          env, "vxlanPorts holds more than " + std::to_string(kMaxVxlanPorts) + " ports");
    }
    for (size_t i = 0; i < ports.size(); ++i) out->parse.vxlan_ports[i] = ports[i];
    out->parse.vxlan_port_count = ports.size();
  }
  if (!o.Get("ringBlockSize").IsUndefined()) {
    int64_t size = CheckedInteger(env, o.Get("ringBlockSize"), "ringBlockSize", 4096, 64 << 20);
    if (size % 4096 != 0)
      throw Napi::RangeError::New(env, "ringBlockSize must be a multiple of 4096");
    out->ring_block_size = static_cast<uint32_t>(size);
  }
  if (!o.Get("ringBlocks").IsUndefined()) {
    out->ring_blocks =
        static_cast<uint32_t>(CheckedInteger(env, o.Get("ringBlocks"), "ringBlocks", 2, 4096));
  }
  if (!o.Get("snapLen").IsUndefined()) {
    out->snap_len =
        static_cast<uint32_t>(CheckedInteger(env, o.Get("snapLen"), "snapLen", 64, 262144));
  }
  if (!o.Get("retireMs").IsUndefined()) {
    out->retire_ms =
        static_cast<uint32_t>(CheckedInteger(env, o.Get("retireMs"), "retireMs", 1, 1000));
  }
  if (!o.Get("tokenRunId").IsUndefined()) {
    out->has_token_run = true;
    out->token_run_id = static_cast<uint32_t>(
        CheckedInteger(env, o.Get("tokenRunId"), "tokenRunId", 0, 0xffffffffLL));
  }
  return true;
}

Napi::Value BuildPortFilterJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketOptions opts;
  if (!ParseSocketOptions(env, info[0], &opts)) return env.Undefined();
  std::vector<sock_filter> prog = BuildUdpPortFilter(opts.ports, opts.icmp, opts.snap_len);
  Napi::Array out = Napi::Array::New(env, prog.size());
  for (size_t i = 0; i < prog.size(); ++i) {
    Napi::Object insn = Napi::Object::New(env);
    insn.Set("code", prog[i].code);
    insn.Set("jt", prog[i].jt);
    insn.Set("jf", prog[i].jf);
    insn.Set("k", prog[i].k);
    out.Set(static_cast<uint32_t>(i), insn);
  }
  return out;
}

}  // namespace vxprobe
