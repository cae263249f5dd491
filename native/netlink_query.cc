#include "netlink_query.h"

#include <linux/rtnetlink.h>

#include "boundary.h"
#include "netlink_util.h"

namespace vxprobe {
namespace {

Napi::Array NudStates(Napi::Env env, uint16_t state) {
  static const struct {
    uint16_t bit;
    const char* name;
  } kStates[] = {{NUD_INCOMPLETE, "incomplete"}, {NUD_REACHABLE, "reachable"},
                 {NUD_STALE, "stale"},           {NUD_DELAY, "delay"},
                 {NUD_PROBE, "probe"},           {NUD_FAILED, "failed"},
                 {NUD_NOARP, "noarp"},           {NUD_PERMANENT, "permanent"}};
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (const auto& s : kStates) {
    if (state & s.bit) out.Set(n++, s.name);
  }
  if (n == 0) out.Set(n++, "none");
  return out;
}

}  // namespace

RouteReply RouteLookup(const ParsedIp& dst, int oif) {
  NetlinkSocket sock;
  NetlinkRequest req(RTM_GETROUTE, 0);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(dst.family);
  rtm.rtm_dst_len = static_cast<uint8_t>(dst.len * 8);
  rtm.rtm_flags = RTM_F_LOOKUP_TABLE;  // report the table the route came from
  req.AddHeader(&rtm, sizeof rtm);
  req.AddAttr(RTA_DST, dst.bytes, dst.len);
  if (oif) req.AddAttr(RTA_OIF, &oif, sizeof oif);
  for (NetlinkMessage& m : sock.Request(req, "RTM_GETROUTE")) {
    if (m.type != RTM_NEWROUTE || m.payload.size() < sizeof(rtmsg)) continue;
    RouteReply r;
    r.text = IpString(dst.bytes, dst.len);
    r.message = std::move(m);
    r.names = LinkNames(sock);
    return r;
  }
  throw NetlinkError{ENOENT, "RTM_GETROUTE"};
}

Napi::Object RouteObject(Napi::Env env, const RouteReply& r) {
  KeyCache key(env);
  const NetlinkMessage& m = r.message;
  auto* h = reinterpret_cast<const rtmsg*>(m.payload.data());
  size_t off = NLMSG_ALIGN(sizeof(rtmsg));
  AttrTable a(m.payload.data() + off, m.payload.size() - off, RTA_MAX);
  int ifindex = static_cast<int>(AttrAs<uint32_t>(a.get(RTA_OIF)));
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("dst"), r.text);
  o.Set(key("ifindex"), ifindex ? Napi::Value(Napi::Number::New(env, ifindex)) : env.Null());
  o.Set(key("ifname"), ifindex ? NameValue(env, r.names, ifindex) : env.Null());
  o.Set(key("gateway"), IpValue(env, a.get(RTA_GATEWAY)));
  o.Set(key("prefsrc"), IpValue(env, a.get(RTA_PREFSRC)));
  o.Set(key("type"), RouteTypeName(h->rtm_type));
  o.Set(key("table"), a.has(RTA_TABLE) ? AttrAs<uint32_t>(a.get(RTA_TABLE)) : h->rtm_table);
  return o;
}

RouteArgs ReadRouteArgs(const Napi::CallbackInfo& info) {
  RouteArgs args;
  args.dst = ParseIpArg(info[0], "dst");
  if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
    args.oif = ParseIfindexArg(info[1], "oif");
  }
  return args;
}

namespace {

// routeGet(dst: string, oif?: number): the kernel's answer for one address
// (routeGetAsync in netlink_async.cc makes the same request off the JS thread).
Napi::Value RouteGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RouteArgs args = ReadRouteArgs(info);
  return WithNetlinkErrors(
      env, [&]() -> Napi::Value { return RouteObject(env, RouteLookup(args.dst, args.oif)); },
      "route to " + IpString(args.dst.bytes, args.dst.len));
}

// neighborGet(ip, ifindex): the entry, or null when the kernel has none.
Napi::Value NeighborGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NeighArgs args = ReadNeighArgs(info);
  return WithNetlinkErrors(env, [&]() { return NeighborValue(env, NeighborLookup(args)); });
}

// neighborResolve(ip, ifindex): starts ARP/ND (NeighborSolicit) and returns at once.
Napi::Value NeighborResolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NeighArgs args = ReadNeighArgs(info);
  return WithNetlinkErrors(
      env,
      [&]() -> Napi::Value {
        NeighborSolicit(args);
        return env.Undefined();
      },
      SolicitContext(args));
}

NetlinkRequest NeighRequest(uint16_t type, uint16_t flags, const ParsedIp& ip, int ifindex,
                            uint8_t ndm_flags) {
  NetlinkRequest req(type, flags);
  ndmsg ndm{};
  ndm.ndm_family = static_cast<uint8_t>(ip.family);
  ndm.ndm_ifindex = ifindex;
  ndm.ndm_flags = ndm_flags;
  req.AddHeader(&ndm, sizeof ndm);
  req.AddAttr(NDA_DST, ip.bytes, ip.len);
  return req;
}

}  // namespace

NeighArgs ReadNeighArgs(const Napi::CallbackInfo& info) {
  NeighArgs args;
  args.ip = ParseIpArg(info[0], "ip");
  args.ifindex = ParseIfindexArg(info[1], "ifindex");
  return args;
}

NeighReply NeighborLookup(const NeighArgs& args) {
  NetlinkSocket sock;
  NetlinkRequest req = NeighRequest(RTM_GETNEIGH, 0, args.ip, args.ifindex, 0);
  std::vector<NetlinkMessage> replies;
  try {
    replies = sock.Request(req, "RTM_GETNEIGH");
  } catch (const NetlinkError& e) {
    if (e.err == ENOENT) return NeighReply{};
    throw;
  }
  for (NetlinkMessage& m : replies) {
    if (m.type != RTM_NEWNEIGH || m.payload.size() < sizeof(ndmsg)) continue;
    NeighReply r;
    r.found = true;
    r.message = std::move(m);
    r.names = LinkNames(sock);
    return r;
  }
  return NeighReply{};
}

Napi::Value NeighborValue(Napi::Env env, const NeighReply& r) {
  if (!r.found) return env.Null();
  KeyCache key(env);
  const NetlinkMessage& m = r.message;
  auto* h = reinterpret_cast<const ndmsg*>(m.payload.data());
  size_t off = NLMSG_ALIGN(sizeof(ndmsg));
  AttrTable a(m.payload.data() + off, m.payload.size() - off, NDA_MAX);
  return NeighborObject(env, key, r.names, h, a);
}

// RTM_NEWNEIGH with NTF_USE (and NLM_F_CREATE) runs neigh_event_send()
// exactly as if a packet were queued to that neighbor: a missing entry is
// created INCOMPLETE and solicited, a STALE/FAILED one is re-probed, a valid
// one is left alone. Unlike sending a UDP datagram to trigger ARP, it puts no
// packet on the wire besides the ARP request itself, and it names the device
// explicitly instead of trusting the route. Needs CAP_NET_ADMIN.
void NeighborSolicit(const NeighArgs& args) {
  NetlinkSocket sock;
  NetlinkRequest req = NeighRequest(RTM_NEWNEIGH, NLM_F_CREATE, args.ip, args.ifindex, NTF_USE);
  sock.Request(req, "RTM_NEWNEIGH");
}

std::string SolicitContext(const NeighArgs& args) {
  return "resolve neighbor " + IpString(args.ip.bytes, args.ip.len);
}

Napi::Object NeighborObject(Napi::Env env, KeyCache& key,
                            const std::unordered_map<int, std::string>& names,
                            const ndmsg* h, const AttrTable& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("ifindex"), h->ndm_ifindex);
  o.Set(key("ifname"), NameValue(env, names, h->ndm_ifindex));
  o.Set(key("ip"), IpValue(env, a.get(NDA_DST)));
  o.Set(key("mac"), MacValue(env, a.get(NDA_LLADDR)));
  o.Set(key("state"), NudStates(env, h->ndm_state));
  return o;
}

void InitNetlinkQuery(Napi::Env env, Napi::Object exports) {
  exports.Set("routeGet", Napi::Function::New(env, Guarded<RouteGet>, "routeGet"));
  exports.Set("neighborGet", Napi::Function::New(env, Guarded<NeighborGet>, "neighborGet"));
  exports.Set("neighborResolve",
              Napi::Function::New(env, Guarded<NeighborResolve>, "neighborResolve"));
}

}  // namespace vxprobe
