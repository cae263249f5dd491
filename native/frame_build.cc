// Serializer for a validated FrameSpec. Layout is computed first so the
// caller can allocate the exact buffer once; checksums are filled in last,
// innermost first, because outer checksums cover inner bytes.
#include <cstring>

#include "frame_codec.h"

namespace vxprobe {
namespace {

constexpr size_t kEth = 14, kVlanTag = 4, kIp = 20, kUdp = 8, kIcmp = 8, kVxlan = 8;

inline void Put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v & 0xffff);
}

size_t L2Size(const L2Spec& l2) { return kEth + (l2.vlan >= 0 ? kVlanTag : 0); }

uint8_t* WriteL2(const L2Spec& l2, uint8_t* p) {
  std::memcpy(p, l2.dst_mac, 6);
  std::memcpy(p + 6, l2.src_mac, 6);
  p += 12;
  if (l2.vlan >= 0) {
    Put16(p, 0x8100);
    Put16(p + 2, static_cast<uint32_t>(l2.vlan));
    p += 4;
  }
  Put16(p, 0x0800);
  return p + 2;
}

uint8_t* WriteIp(const IpSpec& ip, uint8_t protocol, size_t total, uint8_t* p) {
  p[0] = 0x45;
  p[1] = ip.tos;
  Put16(p + 2, static_cast<uint32_t>(total));
  Put16(p + 4, ip.id);
  Put16(p + 6, ip.dont_fragment ? 0x4000 : 0);
  p[8] = ip.ttl;
  p[9] = protocol;
  Put16(p + 10, 0);
  Put32(p + 12, ip.src);
  Put32(p + 16, ip.dst);
  Put16(p + 10, InternetChecksum(p, kIp));
  return p + kIp;
}

uint16_t UdpChecksum(const IpSpec& ip, const uint8_t* udp, size_t len) {
  uint32_t pseudo = (ip.src >> 16) + (ip.src & 0xffff) + (ip.dst >> 16) + (ip.dst & 0xffff) +
                    17 + static_cast<uint32_t>(len);
  uint16_t c = InternetChecksum(udp, len, pseudo);
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
  return c == 0 ? 0xffff : c;
}

void FinishUdp(const IpSpec& ip, uint8_t* udp, size_t len, ChecksumMode mode) {
  Put16(udp + 6, 0);
  if (mode == ChecksumMode::kZero) return;
  uint16_t c = UdpChecksum(ip, udp, len);
  if (mode == ChecksumMode::kWrong) {
    c = static_cast<uint16_t>(~c);
    if (c == 0) c = 1;  // zero would read as "no checksum", not as wrong
  }
  Put16(udp + 6, c);
}

uint8_t* WriteIcmpEcho(const IcmpEchoSpec& e, uint8_t* p) {
  p[0] = e.type;
  p[1] = e.code;
  Put16(p + 2, 0);
  Put16(p + 4, e.id);
  Put16(p + 6, e.seq);
  return p + kIcmp;
}

size_t InnerSize(const InnerSpec& in, size_t payload) {
  return L2Size(in.l2) + kIp + (in.udp ? kUdp : kIcmp) + payload;
}

}  // namespace

size_t FrameSize(const FrameSpec& s, size_t* ip_total) {
  size_t l4;
  if (s.outer_icmp) {
    l4 = kIcmp + s.payload.size();
  } else {
    size_t udp_payload = s.has_vxlan ? kVxlan + InnerSize(s.inner, s.payload.size())
                                     : s.payload.size();
    l4 = kUdp + udp_payload;
  }
  *ip_total = kIp + l4;
  return (s.ethernet ? L2Size(s.l2) : 0) + *ip_total;
}

void WriteFrame(const FrameSpec& s, size_t pad, uint8_t* out) {
  size_t ip_total;
  FrameSize(s, &ip_total);
  ip_total += pad;
  size_t payload_len = s.payload.size() + pad;
  uint8_t* p = out;
  if (s.ethernet) p = WriteL2(s.l2, p);
  uint8_t* outer_l4 = WriteIp(s.ip, s.outer_icmp ? 1 : 17, ip_total, p);
  size_t l4_len = ip_total - kIp;
  if (s.outer_icmp) {
    uint8_t* data = WriteIcmpEcho(s.icmp, outer_l4);
    if (!s.payload.empty()) std::memcpy(data, s.payload.data(), s.payload.size());
    std::memset(data + s.payload.size(), 0, pad);
    Put16(outer_l4 + 2, InternetChecksum(outer_l4, l4_len));
    return;
  }
  Put16(outer_l4, s.src_port);
  Put16(outer_l4 + 2, s.dst_port);
  Put16(outer_l4 + 4, static_cast<uint32_t>(l4_len));
  p = outer_l4 + kUdp;
  if (s.has_vxlan) {
    p[0] = s.vxlan_flags;
    p[1] = p[2] = p[3] = 0;
    Put32(p + 4, s.vni << 8);
    p += kVxlan;
    const InnerSpec& in = s.inner;
    p = WriteL2(in.l2, p);
    size_t inner_l4_len = (in.udp ? kUdp : kIcmp) + payload_len;
    uint8_t* inner_l4 = WriteIp(in.ip, in.udp ? 17 : 1, kIp + inner_l4_len, p);
    if (in.udp) {
      Put16(inner_l4, in.src_port);
      Put16(inner_l4 + 2, in.dst_port);
      Put16(inner_l4 + 4, static_cast<uint32_t>(inner_l4_len));
      p = inner_l4 + kUdp;
    } else {
      p = WriteIcmpEcho(in.icmp, inner_l4);
    }
    if (!s.payload.empty()) std::memcpy(p, s.payload.data(), s.payload.size());
    std::memset(p + s.payload.size(), 0, pad);
    if (in.udp) {
      FinishUdp(in.ip, inner_l4, inner_l4_len, ChecksumMode::kCompute);
    } else {
      Put16(inner_l4 + 2, InternetChecksum(inner_l4, inner_l4_len));
    }
  } else {
    if (!s.payload.empty()) std::memcpy(p, s.payload.data(), s.payload.size());
    std::memset(p + s.payload.size(), 0, pad);
  }
  FinishUdp(s.ip, outer_l4, l4_len, s.udp_checksum);
}

}  // namespace vxprobe
