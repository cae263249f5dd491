// rtnetlink table dumps: links (+vxlan attributes), addresses, IPv4 routes,
// IPv4 neighbors and the bridge FDB, on a fresh NETLINK_ROUTE socket each,
// as plain objects shaped like src/host/types.ts. Each table is a request
// and a row builder: the socket work (DumpTable) needs no JS and can run on
// a worker thread (netlink_async.cc); the rows are built on the JS thread.
#include "netlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <net/if.h>

#include <algorithm>

#include "boundary.h"
#include "ethtool.h"
#include "netlink_query.h"
#include "netlink_util.h"

namespace vxprobe {
namespace {

template <typename Hdr>
AttrTable AttrsOf(const NetlinkMessage& m, size_t max_type) {
  size_t off = NLMSG_ALIGN(sizeof(Hdr));
  return AttrTable(m.payload.data() + off, m.payload.size() - off, max_type);
}

template <typename Hdr>
const Hdr* HeaderOf(const NetlinkMessage& m) {
  return m.payload.size() >= sizeof(Hdr) ? reinterpret_cast<const Hdr*>(m.payload.data())
                                         : nullptr;
}

Napi::Value IndexOrNull(Napi::Env env, const rtattr* a) {
  uint32_t v = AttrAs<uint32_t>(a);
  return a && v ? Napi::Number::New(env, v) : env.Null();
}

const char* OperStateName(uint8_t s) {
  static const char* kNames[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                 "testing", "dormant",    "up"};
  return s < sizeof kNames / sizeof kNames[0] ? kNames[s] : "unknown";
}

Napi::Object VxlanInfo(Napi::Env env, KeyCache& key, const rtattr* data) {
  AttrTable v(AttrTable::Data(data), AttrTable::Len(data), IFLA_VXLAN_MAX);
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("vni"), AttrAs<uint32_t>(v.get(IFLA_VXLAN_ID)));
  // The port travels in network byte order, unlike every other integer here.
  o.Set(key("port"), ntohs(AttrAs<uint16_t>(v.get(IFLA_VXLAN_PORT))));
  const rtattr* local =
      v.has(IFLA_VXLAN_LOCAL) ? v.get(IFLA_VXLAN_LOCAL) : v.get(IFLA_VXLAN_LOCAL6);
  const rtattr* group =
      v.has(IFLA_VXLAN_GROUP) ? v.get(IFLA_VXLAN_GROUP) : v.get(IFLA_VXLAN_GROUP6);
  o.Set(key("local"), IpValue(env, local));
  o.Set(key("group"), IpValue(env, group));
  o.Set(key("underlayIndex"), IndexOrNull(env, v.get(IFLA_VXLAN_LINK)));
  o.Set(key("learning"), Napi::Boolean::New(env, AttrAs<uint8_t>(v.get(IFLA_VXLAN_LEARNING)) != 0));
  o.Set(key("ttl"), AttrAs<uint8_t>(v.get(IFLA_VXLAN_TTL)));
  // Absent means the kernel default: no outer UDP checksum.
  o.Set(key("udpCsum"), Napi::Boolean::New(env, AttrAs<uint8_t>(v.get(IFLA_VXLAN_UDP_CSUM)) != 0));
  auto range = AttrAs<ifla_vxlan_port_range>(v.get(IFLA_VXLAN_PORT_RANGE));
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, ntohs(range.low));
  r.Set(1u, ntohs(range.high));
  o.Set(key("srcPortRange"), r);
  // Metadata mode (OVS, Cilium): one socket for every VNI, no VNI of its own.
  o.Set(key("external"),
        Napi::Boolean::New(env, AttrAs<uint8_t>(v.get(IFLA_VXLAN_COLLECT_METADATA)) != 0));
  return o;
}

NetlinkRequest LinksRequest() { return LinkDumpRequest(); }

Napi::Value LinksRow(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                     const NetlinkMessage& m, const ifinfomsg* h) {
  AttrTable a = AttrsOf<ifinfomsg>(m, IFLA_MAX);
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("ifindex"), h->ifi_index);
  o.Set(key("name"), AttrString(a.get(IFLA_IFNAME)));
  o.Set(key("mac"), MacValue(env, a.get(IFLA_ADDRESS)));
  o.Set(key("mtu"), AttrAs<uint32_t>(a.get(IFLA_MTU)));
  o.Set(key("up"), Napi::Boolean::New(env, (h->ifi_flags & IFF_UP) != 0));
  o.Set(key("operState"), OperStateName(AttrAs<uint8_t>(a.get(IFLA_OPERSTATE))));
  o.Set(key("flags"), h->ifi_flags);
  o.Set(key("masterIndex"), IndexOrNull(env, a.get(IFLA_MASTER)));
  Napi::Value kind = env.Null();
  if (const rtattr* li = a.get(IFLA_LINKINFO)) {
    AttrTable lt(AttrTable::Data(li), AttrTable::Len(li), IFLA_INFO_MAX);
    if (const rtattr* k = lt.get(IFLA_INFO_KIND)) {
      std::string ks = AttrString(k);
      kind = Napi::String::New(env, ks);
      if (ks == "vxlan" && lt.has(IFLA_INFO_DATA)) {
        o.Set(key("vxlan"), VxlanInfo(env, key, lt.get(IFLA_INFO_DATA)));
      }
    }
  }
  o.Set(key("kind"), kind);
  return o;
}

Napi::Value LinksRowOf(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                       const NetlinkMessage& m) {
  const ifinfomsg* h = HeaderOf<ifinfomsg>(m);
  if (m.type != RTM_NEWLINK || !h) return Napi::Value();
  return LinksRow(env, key, names, m, h);
}

NetlinkRequest AddrsRequest() {
  NetlinkRequest req(RTM_GETADDR, 0);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_UNSPEC;
  req.AddHeader(&ifa, sizeof ifa);
  return req;
}

Napi::Value AddrsRow(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                     const NetlinkMessage& m, const ifaddrmsg* h) {
  if (h->ifa_family != AF_INET && h->ifa_family != AF_INET6) return Napi::Value();
  AttrTable a = AttrsOf<ifaddrmsg>(m, IFA_MAX);
  // IFA_LOCAL is our own address; IFA_ADDRESS is the peer on point-to-point links.
  const rtattr* addr = a.has(IFA_LOCAL) ? a.get(IFA_LOCAL) : a.get(IFA_ADDRESS);
  if (!addr) return Napi::Value();
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("ifindex"), h->ifa_index);
  o.Set(key("ifname"), NameValue(env, names, h->ifa_index));
  o.Set(key("family"), h->ifa_family == AF_INET ? 4 : 6);
  o.Set(key("address"), IpValue(env, addr));
  o.Set(key("prefixLen"), h->ifa_prefixlen);
  return o;
}

Napi::Value AddrsRowOf(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                       const NetlinkMessage& m) {
  const ifaddrmsg* h = HeaderOf<ifaddrmsg>(m);
  if (m.type != RTM_NEWADDR || !h) return Napi::Value();
  return AddrsRow(env, key, names, m, h);
}

NetlinkRequest RoutesRequest() {
  NetlinkRequest req(RTM_GETROUTE, 0);
  rtmsg rtm{};
  rtm.rtm_family = AF_INET;  // table 0 in a dump = every table
  req.AddHeader(&rtm, sizeof rtm);
  return req;
}

Napi::Value RoutesRow(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                      const NetlinkMessage& m, const rtmsg* h) {
  if (h->rtm_family != AF_INET) return Napi::Value();
  if (h->rtm_flags & RTM_F_CLONED) return Napi::Value();
  AttrTable a = AttrsOf<rtmsg>(m, RTA_MAX);
  Napi::Object o = Napi::Object::New(env);
  const rtattr* dst = a.get(RTA_DST);
  if (h->rtm_dst_len == 0 && !dst) {
    o.Set(key("dst"), "default");
  } else {
    std::string d = dst ? IpString(AttrTable::Data(dst), AttrTable::Len(dst)) : "0.0.0.0";
    o.Set(key("dst"), d + "/" + std::to_string(h->rtm_dst_len));
  }
  const rtattr* gw = a.get(RTA_GATEWAY);
  const rtattr* oif = a.get(RTA_OIF);
  bool onlink = (h->rtm_flags & RTNH_F_ONLINK) != 0;
  int ifindex = oif ? static_cast<int>(AttrAs<uint32_t>(oif)) : 0;
  // A multipath route has no top-level gateway/oif: report its first hop.
  // rtnh_len is trusted only as far as the attribute reaches (FirstNextHop).
  NextHop hop;
  if (!gw && !oif && a.has(RTA_MULTIPATH) && FirstNextHop(a.get(RTA_MULTIPATH), &hop)) {
    ifindex = hop.ifindex;
    onlink = onlink || (hop.flags & RTNH_F_ONLINK);
    gw = hop.gateway;
  }
  o.Set(key("gateway"), IpValue(env, gw));
  o.Set(key("ifindex"), ifindex ? Napi::Value(Napi::Number::New(env, ifindex)) : env.Null());
  o.Set(key("ifname"), ifindex ? NameValue(env, names, ifindex) : env.Null());
  o.Set(key("prefsrc"), IpValue(env, a.get(RTA_PREFSRC)));
  o.Set(key("onlink"), Napi::Boolean::New(env, onlink));
  uint32_t table = a.has(RTA_TABLE) ? AttrAs<uint32_t>(a.get(RTA_TABLE)) : h->rtm_table;
  o.Set(key("table"), table);
  o.Set(key("type"), RouteTypeName(h->rtm_type));
  return o;
}

Napi::Value RoutesRowOf(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                        const NetlinkMessage& m) {
  const rtmsg* h = HeaderOf<rtmsg>(m);
  if (m.type != RTM_NEWROUTE || !h) return Napi::Value();
  return RoutesRow(env, key, names, m, h);
}

NetlinkRequest NeighborsRequest() {
  NetlinkRequest req(RTM_GETNEIGH, 0);
  ndmsg ndm{};
  ndm.ndm_family = AF_INET;
  req.AddHeader(&ndm, sizeof ndm);
  return req;
}

Napi::Value NeighborsRow(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                         const NetlinkMessage& m, const ndmsg* h) {
  if (h->ndm_family != AF_INET) return Napi::Value();
  AttrTable a = AttrsOf<ndmsg>(m, NDA_MAX);
  if (!a.has(NDA_DST)) return Napi::Value();
  return NeighborObject(env, key, names, h, a);
}

Napi::Value NeighborsRowOf(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                           const NetlinkMessage& m) {
  const ndmsg* h = HeaderOf<ndmsg>(m);
  if (m.type != RTM_NEWNEIGH || !h) return Napi::Value();
  return NeighborsRow(env, key, names, m, h);
}

NetlinkRequest FdbRequest() {
  NetlinkRequest req(RTM_GETNEIGH, 0);
  ndmsg ndm{};
  ndm.ndm_family = AF_BRIDGE;
  req.AddHeader(&ndm, sizeof ndm);
  return req;
}

Napi::Value FdbRow(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                   const NetlinkMessage& m, const ndmsg* h) {
  if (h->ndm_family != AF_BRIDGE) return Napi::Value();
  AttrTable a = AttrsOf<ndmsg>(m, NDA_MAX);
  const rtattr* mac = a.get(NDA_LLADDR);
  if (!mac) return Napi::Value();
  Napi::Object o = Napi::Object::New(env);
  o.Set(key("ifindex"), h->ndm_ifindex);
  o.Set(key("ifname"), NameValue(env, names, h->ndm_ifindex));
  o.Set(key("mac"), MacValue(env, mac));
  o.Set(key("dst"), IpValue(env, a.get(NDA_DST)));
  const rtattr* port = a.get(NDA_PORT);
  o.Set(key("port"), port ? Napi::Value(Napi::Number::New(env, ntohs(AttrAs<uint16_t>(port))))
                     : env.Null());
  const rtattr* vni = a.get(NDA_VNI);
  o.Set(key("vni"),
        vni ? Napi::Value(Napi::Number::New(env, AttrAs<uint32_t>(vni))) : env.Null());
  o.Set(key("permanent"), Napi::Boolean::New(env, (h->ndm_state & NUD_PERMANENT) != 0));
  o.Set(key("masterIndex"), IndexOrNull(env, a.get(NDA_MASTER)));
  o.Set(key("flags"), h->ndm_flags);
  return o;
}

Napi::Value FdbRowOf(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                     const NetlinkMessage& m) {
  const ndmsg* h = HeaderOf<ndmsg>(m);
  if (m.type != RTM_NEWNEIGH || !h) return Napi::Value();
  return FdbRow(env, key, names, m, h);
}

}  // namespace

const TableSpec* FindTable(const std::string& name) {
  static const TableSpec kTables[] = {
      {"links", false, &LinksRequest, &LinksRowOf},
      {"addrs", true, &AddrsRequest, &AddrsRowOf},
      {"routes", true, &RoutesRequest, &RoutesRowOf},
      {"neighbors", true, &NeighborsRequest, &NeighborsRowOf},
      {"fdb", true, &FdbRequest, &FdbRowOf},
  };
  for (const TableSpec& t : kTables)
    if (name == t.name) return &t;
  return nullptr;
}

TableDump DumpTable(const TableSpec& spec) {
  NetlinkSocket sock;
  TableDump d;
  d.spec = &spec;
  if (spec.needs_names) d.names = LinkNames(sock);
  NetlinkRequest req = spec.request();
  d.messages = sock.Dump(req);
  return d;
}

size_t BuildRows(Napi::Env env, TableDump& d, size_t max, Napi::Array out) {
  KeyCache key(env);
  uint32_t n = out.Length();
  size_t end = std::min(d.messages.size(), d.next + max);
  for (; d.next < end; ++d.next) {
    Napi::Value v = d.spec->row(env, key, d.names, d.messages[d.next]);
    if (!v.IsEmpty()) out.Set(n++, v);
  }
  return d.messages.size() - d.next;
}

namespace {

// The synchronous dumps, for the CLI: the socket work and the objects in one call.
template <const char* kName>
Napi::Value TableSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return WithNetlinkErrors(env, [&]() -> Napi::Value {
    TableDump d = DumpTable(*FindTable(kName));
    Napi::Array out = Napi::Array::New(env);
    BuildRows(env, d, d.messages.size(), out);
    return out;
  });
}

constexpr char kLinks[] = "links";
constexpr char kAddrs[] = "addrs";
constexpr char kRoutes[] = "routes";
constexpr char kNeighbors[] = "neighbors";
constexpr char kFdb[] = "fdb";

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkLinks", Napi::Function::New(env, Guarded<TableSync<kLinks>>, "netlinkLinks"));
  exports.Set("netlinkAddrs", Napi::Function::New(env, Guarded<TableSync<kAddrs>>, "netlinkAddrs"));
  exports.Set("netlinkRoutes",
              Napi::Function::New(env, Guarded<TableSync<kRoutes>>, "netlinkRoutes"));
  exports.Set("netlinkNeighbors",
              Napi::Function::New(env, Guarded<TableSync<kNeighbors>>, "netlinkNeighbors"));
  exports.Set("netlinkFdb", Napi::Function::New(env, Guarded<TableSync<kFdb>>, "netlinkFdb"));
  InitNetlinkQuery(env, exports);
  InitEthtool(env, exports);
  InitNetlinkAsync(env, exports);
  InitNetlinkWatch(env, exports);
}

}  // namespace vxprobe
