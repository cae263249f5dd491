// Build, then parse: every spec the builder accepts must come back as the
// same headers with valid checksums, and the payload (plus padding) where the
// parser says it is. Covers plain UDP, VXLAN with an inner UDP/ICMP frame,
// and outer ICMP, on Ethernet (tagged or not) and raw IPv4.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "frame_codec.h"
#include "fuzz_check.h"

using namespace vxprobe;

namespace {

void Fill(FuzzedDataProvider& in, L2Spec* l2) {
  for (auto& b : l2->src_mac) b = in.ConsumeIntegral<uint8_t>();
  for (auto& b : l2->dst_mac) b = in.ConsumeIntegral<uint8_t>();
  l2->vlan = in.ConsumeBool() ? in.ConsumeIntegralInRange(0, 4095) : -1;
}

void Fill(FuzzedDataProvider& in, IpSpec* ip) {
  ip->src = in.ConsumeIntegral<uint32_t>();
  ip->dst = in.ConsumeIntegral<uint32_t>();
  ip->ttl = in.ConsumeIntegral<uint8_t>();
  ip->tos = in.ConsumeIntegral<uint8_t>();
  ip->id = in.ConsumeIntegral<uint16_t>();
  ip->dont_fragment = in.ConsumeBool();
}

void Fill(FuzzedDataProvider& in, IcmpEchoSpec* e) {
  e->type = in.ConsumeIntegral<uint8_t>();
  e->code = in.ConsumeIntegral<uint8_t>();
  e->id = in.ConsumeIntegral<uint16_t>();
  e->seq = in.ConsumeIntegral<uint16_t>();
}

void CheckL2(const L2Spec& s, const Layers& l) {
  FUZZ_CHECK(l.has_eth);
  FUZZ_CHECK(std::memcmp(l.eth.src, s.src_mac, 6) == 0 && std::memcmp(l.eth.dst, s.dst_mac, 6) == 0);
  FUZZ_CHECK(l.eth.vlan == s.vlan && l.eth.ether_type == 0x0800);
}

void CheckIp(const IpSpec& s, const Layers& l, uint8_t protocol, size_t total) {
  FUZZ_CHECK(l.has_ip && l.ip.checksum_ok);
  FUZZ_CHECK(l.ip.src == s.src && l.ip.dst == s.dst && l.ip.ttl == s.ttl && l.ip.tos == s.tos);
  FUZZ_CHECK(l.ip.id == s.id && l.ip.dont_fragment == s.dont_fragment && !l.ip.more_fragments);
  FUZZ_CHECK(l.ip.protocol == protocol && l.ip.total_length == total && l.ip.header_length == 20);
}

void CheckIcmp(const IcmpEchoSpec& s, const Layers& l) {
  FUZZ_CHECK(l.has_icmp && l.icmp.checksum_ok && l.icmp.type == s.type && l.icmp.code == s.code);
  if (s.type == 0 || s.type == 8) FUZZ_CHECK(l.icmp.has_echo && l.icmp.id == s.id && l.icmp.seq == s.seq);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  FrameSpec s;
  s.ethernet = in.ConsumeBool();
  if (s.ethernet) Fill(in, &s.l2);
  Fill(in, &s.ip);
  const int kind = in.ConsumeIntegralInRange(0, 2);  // UDP, VXLAN, ICMP
  if (kind == 2) {
    s.outer_icmp = true;
    Fill(in, &s.icmp);
  } else {
    s.src_port = in.ConsumeIntegral<uint16_t>();
    s.dst_port = in.ConsumeIntegral<uint16_t>();
    s.udp_checksum = static_cast<ChecksumMode>(in.ConsumeIntegralInRange(0, 2));
  }
  if (kind == 1) {
    s.has_vxlan = s.has_inner = true;
    s.vni = in.ConsumeIntegralInRange<uint32_t>(0, 0xffffff);
    s.vxlan_flags = in.ConsumeIntegral<uint8_t>();
    Fill(in, &s.inner.l2);
    Fill(in, &s.inner.ip);
    s.inner.udp = in.ConsumeBool();
    if (s.inner.udp) {
      s.inner.src_port = in.ConsumeIntegral<uint16_t>();
      s.inner.dst_port = in.ConsumeIntegral<uint16_t>();
    } else {
      Fill(in, &s.inner.icmp);
      if (s.inner.icmp.type != 0 && s.inner.icmp.type != 8) s.inner.icmp.type = 8;
    }
  }
  const size_t pad = in.ConsumeIntegralInRange<size_t>(0, 64);
  s.payload = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 9000));
  // An outer ICMP error quotes its payload, which the parser then reads as a
  // packet: the round trip is only about echo messages.
  if (s.outer_icmp && s.icmp.type != 0 && s.icmp.type != 8) s.icmp.type = 8;

  size_t ip_total;
  const size_t frame_size = FrameSize(s, &ip_total) + pad;
  if (ip_total + pad > 65535) return 0;  // the binding refuses these
  std::vector<uint8_t> frame(frame_size);
  WriteFrame(s, pad, frame.data());

  ParseOptions opts;
  opts.starts_at_ipv4 = !s.ethernet;
  opts.vxlan_port_count = 0;  // VXLAN is decoded only on the spec's port
  if (s.has_vxlan) {
    opts.vxlan_ports[0] = s.dst_port;
    opts.vxlan_port_count = 1;
  }
  ParsedFrame f;
  ParseFrame(frame.data(), frame.size(), opts, false, &f);
  FUZZ_CHECK(!f.has_error);
  FUZZ_CHECK(f.length == frame.size());
  if (s.ethernet) CheckL2(s.l2, f.outer);
  CheckIp(s.ip, f.outer, s.outer_icmp ? 1 : 17, ip_total + pad);
  if (s.outer_icmp) {
    CheckIcmp(s.icmp, f.outer);
  } else {
    const UdpInfo& u = f.outer.udp;
    FUZZ_CHECK(f.outer.has_udp && u.src_port == s.src_port && u.dst_port == s.dst_port);
    FUZZ_CHECK(u.length == ip_total + pad - 20);
    if (s.udp_checksum == ChecksumMode::kCompute) FUZZ_CHECK(u.checksum_ok == 1);
    if (s.udp_checksum == ChecksumMode::kZero) FUZZ_CHECK(u.checksum == 0 && u.checksum_ok == -1);
    if (s.udp_checksum == ChecksumMode::kWrong) FUZZ_CHECK(u.checksum_ok == 0);
  }
  if (s.has_vxlan) {
    FUZZ_CHECK(f.has_vxlan && f.vxlan.vni == s.vni && f.vxlan.flags == s.vxlan_flags);
    FUZZ_CHECK(f.has_inner);
    CheckL2(s.inner.l2, f.inner);
    const size_t inner_total = 20 + 8 + s.payload.size() + pad;  // IPv4 + UDP or ICMP header
    CheckIp(s.inner.ip, f.inner, s.inner.udp ? 17 : 1, inner_total);
    if (s.inner.udp) {
      FUZZ_CHECK(f.inner.has_udp && f.inner.udp.checksum_ok == 1);
      FUZZ_CHECK(f.inner.udp.src_port == s.inner.src_port && f.inner.udp.dst_port == s.inner.dst_port);
    } else {
      CheckIcmp(s.inner.icmp, f.inner);
    }
  } else {
    FUZZ_CHECK(!f.has_vxlan && !f.has_inner);
  }
  // The payload, then the zero padding, exactly where the parser points.
  FUZZ_CHECK(f.payload_length == s.payload.size() + pad);
  FUZZ_CHECK(f.payload_offset + f.payload_length == frame.size());
  if (!s.payload.empty())
    FUZZ_CHECK(std::memcmp(frame.data() + f.payload_offset, s.payload.data(), s.payload.size()) == 0);
  for (size_t i = 0; i < pad; ++i) FUZZ_CHECK(frame[f.payload_offset + s.payload.size() + i] == 0);
  return 0;
}
