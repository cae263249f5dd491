// Helpers shared by the rtnetlink bindings: address formatting, argument
// parsing, the ifindex -> name map, and turning NetlinkError into JS errors.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "netlink_socket.h"

namespace vxprobe {

// Lower-case "aa:bb:cc:..." for any link-layer address length.
std::string MacString(const uint8_t* p, size_t len);
// "a.b.c.d" for 4 bytes, RFC 5952 text for 16; empty for other lengths.
std::string IpString(const uint8_t* p, size_t len);
// Napi::String or null for an attribute holding an address (nullptr -> null).
Napi::Value IpValue(Napi::Env env, const rtattr* a);
Napi::Value MacValue(Napi::Env env, const rtattr* a);

template <typename T>
T AttrAs(const rtattr* a) {
  T v{};
  if (a && RTA_PAYLOAD(a) >= sizeof(T)) std::memcpy(&v, RTA_DATA(a), sizeof(T));
  return v;
}

struct ParsedIp {
  int family;  // AF_INET or AF_INET6
  uint8_t bytes[16];
  size_t len;
};
// Throws a TypeError naming `arg` when the value is not an IP address string.
ParsedIp ParseIpArg(const Napi::Value& v, const char* arg);
// Throws a TypeError/RangeError naming `arg` unless v is an integer in [1, 2^31).
int ParseIfindexArg(const Napi::Value& v, const char* arg);

// An RTM_GETLINK dump request of every link, without the statistics blocks.
NetlinkRequest LinkDumpRequest();
// A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND), bounded by its length.
std::string AttrString(const rtattr* a);

// ifindex -> name of every link, one RTM_GETLINK dump.
std::unordered_map<int, std::string> LinkNames(NetlinkSocket& sock);
Napi::Value NameValue(Napi::Env env, const std::unordered_map<int, std::string>& names,
                      int ifindex);

// rtm_type as iproute2 names it: 'unicast', 'local', 'blackhole' ...
const char* RouteTypeName(uint8_t t);

// Property-name strings made once per call instead of once per object:
// large dumps set the same eight names on a thousand objects.
class KeyCache {
 public:
  explicit KeyCache(Napi::Env env) : env_(env) {}
  // `name` must be a string literal (cached by address).
  napi_value operator()(const char* name) {
    napi_value& v = keys_[name];
    if (!v) v = Napi::String::New(env_, name);
    return v;
  }

 private:
  Napi::Env env_;
  std::unordered_map<const char*, napi_value> keys_;
};

// Runs fn and converts a NetlinkError into a thrown SystemError.
template <typename Fn>
Napi::Value WithNetlinkErrors(Napi::Env env, Fn fn, const std::string& context = "") {
  try {
    return fn();
  } catch (const NetlinkError& e) {
    throw SystemError(env, e.err, e.syscall, context);
  }
}

}  // namespace vxprobe
