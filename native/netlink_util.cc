#include "netlink_util.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cmath>
#include <cstring>

namespace vxprobe {

std::string MacString(const uint8_t* p, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(len * 3);
  for (size_t i = 0; i < len; ++i) {
    if (i) s.push_back(':');
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 0xf]);
  }
  return s;
}

std::string IpString(const uint8_t* p, size_t len) {
  char buf[INET6_ADDRSTRLEN];
  if (len == 4) return inet_ntop(AF_INET, p, buf, sizeof buf) ? buf : "";
  if (len == 16) return inet_ntop(AF_INET6, p, buf, sizeof buf) ? buf : "";
  return "";
}

Napi::Value IpValue(Napi::Env env, const rtattr* a) {
  if (!a) return env.Null();
  std::string s = IpString(AttrTable::Data(a), AttrTable::Len(a));
  if (s.empty()) return env.Null();
  return Napi::String::New(env, s);
}

Napi::Value MacValue(Napi::Env env, const rtattr* a) {
  if (!a || AttrTable::Len(a) == 0) return env.Null();
  return Napi::String::New(env, MacString(AttrTable::Data(a), AttrTable::Len(a)));
}

ParsedIp ParseIpArg(const Napi::Value& v, const char* arg) {
  if (!v.IsString()) {
    throw Napi::TypeError::New(v.Env(), std::string(arg) + " must be an IP address string");
  }
  std::string s = v.As<Napi::String>().Utf8Value();
  ParsedIp ip{};
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    ip.len = 4;
  } else if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET6;
    ip.len = 16;
  } else {
    throw Napi::TypeError::New(v.Env(),
                               std::string(arg) + " is not a valid IP address: \"" + s + "\"");
  }
  return ip;
}

int ParseIfindexArg(const Napi::Value& v, const char* arg) {
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(v.Env(), std::string(arg) + " must be an interface index (number)");
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d < 2147483648.0) || std::floor(d) != d) {
    throw Napi::RangeError::New(v.Env(),
                                std::string(arg) + " must be a positive integer interface index");
  }
  return static_cast<int>(d);
}

NetlinkRequest LinkDumpRequest() {
  NetlinkRequest req(RTM_GETLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  req.AddHeader(&ifi, sizeof ifi);
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  req.AddAttr(IFLA_EXT_MASK, &mask, sizeof mask);
  return req;
}

std::string AttrString(const rtattr* a) {
  if (!a) return std::string();
  auto* text = reinterpret_cast<const char*>(AttrTable::Data(a));
  return std::string(text, strnlen(text, AttrTable::Len(a)));
}

std::unordered_map<int, std::string> LinkNames(NetlinkSocket& sock) {
  NetlinkRequest req = LinkDumpRequest();
  std::unordered_map<int, std::string> names;
  for (const NetlinkMessage& m : sock.Dump(req)) {
    if (m.type != RTM_NEWLINK || m.payload.size() < sizeof(ifinfomsg)) continue;
    auto* info = reinterpret_cast<const ifinfomsg*>(m.payload.data());
    AttrTable attrs(m.payload.data() + NLMSG_ALIGN(sizeof(ifinfomsg)),
                    m.payload.size() - NLMSG_ALIGN(sizeof(ifinfomsg)), IFLA_IFNAME);
    if (const rtattr* n = attrs.get(IFLA_IFNAME)) names[info->ifi_index] = AttrString(n);
  }
  return names;
}

Napi::Value NameValue(Napi::Env env, const std::unordered_map<int, std::string>& names,
                      int ifindex) {
  auto it = names.find(ifindex);
  if (it == names.end()) return env.Null();
  return Napi::String::New(env, it->second);
}

const char* RouteTypeName(uint8_t t) {
  static const char* kNames[] = {"unspec",   "unicast",   "local",     "broadcast",
                                 "anycast",  "multicast", "blackhole", "unreachable",
                                 "prohibit", "throw",     "nat",       "xresolve"};
  return t < sizeof kNames / sizeof kNames[0] ? kNames[t] : "unknown";
}

}  // namespace vxprobe
