#include "frame_record.h"

#include <cstring>

namespace vxprobe {

const char* const kErrorLayers[] = {"ethernet",   "vlan",      "ipv4",           "udp",
                                    "icmp",       "vxlan",     "inner-ethernet", "inner-vlan",
                                    "inner-ipv4", "inner-udp", "inner-icmp"};
const size_t kErrorLayerCount = sizeof kErrorLayers / sizeof kErrorLayers[0];

namespace {

void WriteLayers(const Layers& l, double* o) {
  double* e = o + rec::kEth;
  e[0] = l.has_eth;
  if (l.has_eth) {
    for (int i = 0; i < 6; ++i) e[1 + i] = l.eth.src[i];
    for (int i = 0; i < 6; ++i) e[7 + i] = l.eth.dst[i];
    e[13] = l.eth.vlan;
    e[14] = l.eth.ether_type;
  }
  double* p = o + rec::kIp;
  p[0] = l.has_ip;
  if (l.has_ip) {
    const Ipv4Info& ip = l.ip;
    p[1] = ip.src;
    p[2] = ip.dst;
    p[3] = ip.ttl;
    p[4] = ip.tos;
    p[5] = ip.id;
    p[6] = ip.dont_fragment;
    p[7] = ip.more_fragments;
    p[8] = ip.fragment_offset;
    p[9] = ip.total_length;
    p[10] = ip.header_length;
    p[11] = ip.protocol;
    p[12] = ip.checksum_ok;
  }
  double* u = o + rec::kUdp;
  u[0] = l.has_udp;
  if (l.has_udp) {
    u[1] = l.udp.src_port;
    u[2] = l.udp.dst_port;
    u[3] = l.udp.length;
    u[4] = l.udp.checksum;
    u[5] = l.udp.checksum_ok;
  }
  double* c = o + rec::kIcmp;
  c[0] = l.has_icmp;
  if (l.has_icmp) {
    const IcmpInfo& i = l.icmp;
    c[1] = i.type;
    c[2] = i.code;
    c[3] = i.checksum_ok;
    c[4] = i.has_echo;
    c[5] = i.id;
    c[6] = i.seq;
    c[7] = i.has_mtu;
    c[8] = i.next_hop_mtu;
    c[9] = i.has_quoted;
  }
}

double ErrorLayerIndex(const char* layer) {
  for (size_t i = 0; i < kErrorLayerCount; ++i)
    if (std::strcmp(kErrorLayers[i], layer) == 0) return static_cast<double>(i);
  return -1;
}

}  // namespace

void WriteRecord(const ParsedFrame& f, double* o) {
  o[rec::kLength] = static_cast<double>(f.length);
  WriteLayers(f.outer, o + rec::kOuter);
  double* v = o + rec::kVxlan;
  v[0] = f.has_vxlan;
  v[1] = f.vxlan.flags;
  v[2] = f.vxlan.vni;
  v[3] = f.vxlan.valid;
  o[rec::kHasInner] = f.has_inner;
  if (f.has_inner) WriteLayers(f.inner, o + rec::kInner);
  o[rec::kPayload] = static_cast<double>(f.payload_offset);
  o[rec::kPayload + 1] = static_cast<double>(f.payload_length);
  double* t = o + rec::kToken;
  t[0] = f.has_token;
  t[1] = f.token.run_id;
  t[2] = f.token.probe_id;
  t[3] = f.token.seq;
  double* e = o + rec::kError;
  e[0] = f.has_error;
  if (f.has_error) {
    e[1] = ErrorLayerIndex(f.error.layer);
    e[2] = static_cast<double>(f.error.offset);
  }
}

}  // namespace vxprobe
