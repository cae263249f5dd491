#include "frame_record.h"

#include <cstring>

namespace vxprobe {

const char* const kErrorLayers[] = {"ethernet",   "vlan",      "ipv4",           "udp",
                                    "icmp",       "vxlan",     "inner-ethernet", "inner-vlan",
                                    "inner-ipv4", "inner-udp", "inner-icmp"};
const size_t kErrorLayerCount = sizeof kErrorLayers / sizeof kErrorLayers[0];

namespace {

void WriteLayers(const Layers& l, double* o) {
  double* e = o + LayersRec::eth;
  e[EthRec::present] = l.has_eth;
  if (l.has_eth) {
    for (int i = 0; i < 6; ++i) e[EthRec::src + i] = l.eth.src[i];
    for (int i = 0; i < 6; ++i) e[EthRec::dst + i] = l.eth.dst[i];
    e[EthRec::vlan] = l.eth.vlan;
    e[EthRec::etherType] = l.eth.ether_type;
  }
  double* p = o + LayersRec::ipv4;
  p[IpRec::present] = l.has_ip;
  if (l.has_ip) {
    const Ipv4Info& ip = l.ip;
    p[IpRec::src] = ip.src;
    p[IpRec::dst] = ip.dst;
    p[IpRec::ttl] = ip.ttl;
    p[IpRec::tos] = ip.tos;
    p[IpRec::id] = ip.id;
    p[IpRec::dontFragment] = ip.dont_fragment;
    p[IpRec::moreFragments] = ip.more_fragments;
    p[IpRec::fragmentOffset] = ip.fragment_offset;
    p[IpRec::totalLength] = ip.total_length;
    p[IpRec::headerLength] = ip.header_length;
    p[IpRec::protocol] = ip.protocol;
    p[IpRec::checksumOk] = ip.checksum_ok;
  }
  double* u = o + LayersRec::udp;
  u[UdpRec::present] = l.has_udp;
  if (l.has_udp) {
    u[UdpRec::srcPort] = l.udp.src_port;
    u[UdpRec::dstPort] = l.udp.dst_port;
    u[UdpRec::length] = l.udp.length;
    u[UdpRec::checksum] = l.udp.checksum;
    u[UdpRec::checksumOk] = l.udp.checksum_ok;
  }
  double* c = o + LayersRec::icmp;
  c[IcmpRec::present] = l.has_icmp;
  if (l.has_icmp) {
    const IcmpInfo& i = l.icmp;
    c[IcmpRec::type] = i.type;
    c[IcmpRec::code] = i.code;
    c[IcmpRec::checksumOk] = i.checksum_ok;
    c[IcmpRec::hasEcho] = i.has_echo;
    c[IcmpRec::id] = i.id;
    c[IcmpRec::seq] = i.seq;
    c[IcmpRec::hasMtu] = i.has_mtu;
    c[IcmpRec::nextHopMtu] = i.next_hop_mtu;
    c[IcmpRec::hasQuoted] = i.has_quoted;
  }
}

double ErrorLayerIndex(const char* layer) {
  for (size_t i = 0; i < kErrorLayerCount; ++i)
    if (std::strcmp(kErrorLayers[i], layer) == 0) return static_cast<double>(i);
  return -1;
}

}  // namespace

void WriteRecord(const ParsedFrame& f, double* o) {
  o[FrameRec::length] = static_cast<double>(f.length);
  WriteLayers(f.outer, o + FrameRec::outer);
  double* v = o + FrameRec::vxlan;
  v[VxlanRec::present] = f.has_vxlan;
  v[VxlanRec::flags] = f.vxlan.flags;
  v[VxlanRec::vni] = f.vxlan.vni;
  v[VxlanRec::valid] = f.vxlan.valid;
  o[FrameRec::hasInner] = f.has_inner;
  if (f.has_inner) WriteLayers(f.inner, o + FrameRec::inner);
  o[FrameRec::payload + PayloadRec::offset] = static_cast<double>(f.payload_offset);
  o[FrameRec::payload + PayloadRec::length] = static_cast<double>(f.payload_length);
  double* t = o + FrameRec::token;
  t[TokenRec::present] = f.has_token;
  t[TokenRec::runId] = f.token.run_id;
  t[TokenRec::probeId] = f.token.probe_id;
  t[TokenRec::seq] = f.token.seq;
  double* e = o + FrameRec::error;
  e[ErrorRec::present] = f.has_error;
  if (f.has_error) {
    e[ErrorRec::layer] = ErrorLayerIndex(f.error.layer);
    e[ErrorRec::offset] = static_cast<double>(f.error.offset);
  }
}

bool ParseToRecord(const uint8_t* data, size_t len, const ParseOptions& opts, double* out,
                   std::string* error, std::string* quoted_error) {
  ParsedFrame f;
  ParseFrame(data, len, opts, false, &f);
  WriteRecord(f, out + ParseRec::frame);
  if (f.has_error) *error = f.error.message;
  if (f.outer.has_icmp && f.outer.icmp.has_quoted) {
    ParsedFrame q;
    ParseFrame(data + f.outer.icmp.quoted_offset, f.outer.icmp.quoted_length, opts, true, &q);
    WriteRecord(q, out + ParseRec::quoted);
    if (q.has_error) *quoted_error = q.error.message;
  }
  return f.has_error || !quoted_error->empty();
}

}  // namespace vxprobe
