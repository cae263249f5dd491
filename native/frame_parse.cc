// Layered decoder. Never throws and never reads past `len`: every layer checks
// its length first and records what was wrong (layer, offset, message) while
// keeping the layers decoded so far.
#include <cstdio>
#include <cstring>

#include "frame_codec.h"

namespace vxprobe {
namespace {

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Names for each level, so errors say "inner-ipv4" rather than "ipv4".
struct LayerNames {
  const char* eth;
  const char* vlan;
  const char* ipv4;
  const char* udp;
  const char* icmp;
};
constexpr LayerNames kOuter{"ethernet", "vlan", "ipv4", "udp", "icmp"};
constexpr LayerNames kInner{"inner-ethernet", "inner-vlan", "inner-ipv4", "inner-udp",
                            "inner-icmp"};

class Parser {
 public:
  Parser(const uint8_t* data, size_t len, const ParseOptions& opts, bool quoted, ParsedFrame* out)
      : d_(data), len_(len), opts_(opts), quoted_(quoted), lenient_(quoted), out_(out) {}

  void Run() {
    out_->length = len_;
    if (opts_.starts_at_ipv4 || quoted_) {
      Ip(0, len_, kOuter, &out_->outer, false);
    } else {
      Eth(0, len_, kOuter, &out_->outer, false);
    }
  }

 private:
  bool Fail(const char* layer, size_t offset, const char* fmt, size_t a = 0, size_t b = 0) {
    char buf[128];
    std::snprintf(buf, sizeof buf, fmt, a, b);
    out_->has_error = true;
    out_->error.layer = layer;
    out_->error.offset = offset;
    out_->error.message = buf;
    return false;
  }

  bool Need(const char* layer, size_t off, size_t end, size_t want) {
    if (end - off >= want) return true;
    return Fail(layer, off, "truncated: header needs %zu bytes, %zu present", want, end - off);
  }

  void Payload(size_t off, size_t end) {
    out_->payload_offset = off;
    out_->payload_length = end - off;
    if (end - off < kTokenLength) return;
    const uint8_t* p = d_ + off;
    if (!StartsWithToken(off, end)) return;
    out_->has_token = true;
    out_->token.run_id = Be32(p + kTokenRunIdOffset);
    out_->token.probe_id = Be32(p + kTokenProbeIdOffset);
    out_->token.seq = Be32(p + kTokenSeqOffset);
  }

  void Eth(size_t off, size_t end, const LayerNames& n, Layers* l, bool inner) {
    if (!Need(n.eth, off, end, 14)) return;
    l->has_eth = true;
    std::memcpy(l->eth.dst, d_ + off, 6);
    std::memcpy(l->eth.src, d_ + off + 6, 6);
    uint16_t type = Be16(d_ + off + 12);
    off += 14;
    if (type == 0x8100) {
      if (!Need(n.vlan, off - 2, end, 6)) return;
      l->eth.vlan = Be16(d_ + off) & 0x0fff;
      type = Be16(d_ + off + 2);
      off += 4;
    }
    l->eth.ether_type = type;
    if (type != 0x0800) return Payload(off, end);
    Ip(off, end, n, l, inner);
  }

  void Ip(size_t off, size_t end, const LayerNames& n, Layers* l, bool inner) {
    if (!Need(n.ipv4, off, end, 20)) return;
    const uint8_t* p = d_ + off;
    if (p[0] >> 4 != 4) {
      Fail(n.ipv4, off, "version %zu, expected 4", p[0] >> 4);
      return;
    }
    size_t hl = (p[0] & 0x0f) * 4u;
    if (hl < 20) {
      Fail(n.ipv4, off, "header length %zu below the minimum of 20", hl);
      return;
    }
    if (!Need(n.ipv4, off, end, hl)) return;
    Ipv4Info& ip = l->ip;
    l->has_ip = true;
    ip.header_length = static_cast<uint8_t>(hl);
    ip.tos = p[1];
    ip.total_length = Be16(p + 2);
    ip.id = Be16(p + 4);
    uint16_t frag = Be16(p + 6);
    ip.dont_fragment = frag & 0x4000;
    ip.more_fragments = frag & 0x2000;
    ip.fragment_offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
    ip.ttl = p[8];
    ip.protocol = p[9];
    ip.src = Be32(p + 12);
    ip.dst = Be32(p + 16);
    ip.checksum_ok = InternetChecksum(p, hl) == 0;
    if (ip.total_length < hl) {
      Fail(n.ipv4, off + 2, "total length %zu smaller than header length %zu", ip.total_length, hl);
      return;
    }
    size_t avail = end - off;
    if (ip.total_length > avail && !lenient_) {
      Fail(n.ipv4, off + 2, "truncated: total length %zu, %zu bytes present", ip.total_length,
           avail);
      return;
    }
    // Ethernet pads short frames: the IPv4 length, not the frame, ends the packet.
    size_t ip_end = off + (ip.total_length < avail ? ip.total_length : avail);
    size_t l4 = off + hl;
    // A first fragment carries only the start of its UDP datagram: like a
    // quote, lengths beyond it are expected and checksums cannot be verified.
    bool full = off + ip.total_length <= end && !ip.more_fragments;
    if (ip.more_fragments) lenient_ = true;
    if (ip.fragment_offset != 0) return Payload(l4, ip_end);
    if (ip.protocol == 17) return Udp(l4, ip_end, full, n, l, inner);
    if (ip.protocol == 1) return Icmp(l4, ip_end, full, n, l, inner);
    Payload(l4, ip_end);
  }

  uint32_t PseudoHeaderSum(const Ipv4Info& ip, size_t l4_len) {
    uint32_t s = (ip.src >> 16) + (ip.src & 0xffff) + (ip.dst >> 16) + (ip.dst & 0xffff);
    return s + 17 + static_cast<uint32_t>(l4_len);
  }

  void Udp(size_t off, size_t end, bool full, const LayerNames& n, Layers* l, bool inner) {
    if (!Need(n.udp, off, end, 8)) return;
    const uint8_t* p = d_ + off;
    UdpInfo& u = l->udp;
    l->has_udp = true;
    u.src_port = Be16(p);
    u.dst_port = Be16(p + 2);
    u.length = Be16(p + 4);
    u.checksum = Be16(p + 6);
    if (u.length < 8) {
      Fail(n.udp, off + 4, "length %zu below the header's 8 bytes", u.length);
      return;
    }
    size_t avail = end - off;
    bool whole = u.length <= avail && full;
    if (u.length > avail && !lenient_) {
      Fail(n.udp, off + 4, "length %zu exceeds the %zu bytes after the IPv4 header", u.length,
           avail);
      return;
    }
    if (u.checksum != 0 && whole) {
      u.checksum_ok = InternetChecksum(p, u.length, PseudoHeaderSum(l->ip, u.length)) == 0;
    }
    size_t udp_end = off + (u.length < avail ? u.length : avail);
    off += 8;
    // A plain-UDP probe to a VXLAN port starts with our token, not a VXLAN
    // header: decode it as the payload it is, so the probe is recognised.
    if (!inner && opts_.IsVxlanPort(u.dst_port) && !StartsWithToken(off, udp_end)) {
      return Vxlan(off, udp_end);
    }
    Payload(off, udp_end);
  }

  void Icmp(size_t off, size_t end, bool full, const LayerNames& n, Layers* l, bool inner) {
    if (!Need(n.icmp, off, end, 8)) return;
    const uint8_t* p = d_ + off;
    IcmpInfo& c = l->icmp;
    l->has_icmp = true;
    c.type = p[0];
    c.code = p[1];
    c.checksum_ok = full && InternetChecksum(p, end - off) == 0;
    if (c.type == 0 || c.type == 8) {
      c.has_echo = true;
      c.id = Be16(p + 4);
      c.seq = Be16(p + 6);
      return Payload(off + 8, end);
    }
    if (c.type == 3 && c.code == 4) {
      c.has_mtu = true;
      c.next_hop_mtu = Be16(p + 6);
    }
    if ((c.type == 3 || c.type == 11 || c.type == 12) && !quoted_ && !inner) {
      c.has_quoted = true;
      c.quoted_offset = off + 8;
      c.quoted_length = end - off - 8;
    }
    out_->payload_offset = off + 8;
    out_->payload_length = end - off - 8;
  }

  bool StartsWithToken(size_t off, size_t end) const {
    return end - off >= kTokenLength && std::memcmp(d_ + off, kTokenMagic, 4) == 0 &&
           d_[off + 4] == kTokenVersion;
  }

  void Vxlan(size_t off, size_t end) {
    if (!Need("vxlan", off, end, 8)) return;
    const uint8_t* p = d_ + off;
    out_->has_vxlan = true;
    out_->vxlan.flags = p[0];
    out_->vxlan.vni = Be32(p + 4) >> 8;
    out_->vxlan.valid = p[0] == 0x08 && p[1] == 0 && p[2] == 0 && p[3] == 0 && p[7] == 0;
    out_->has_inner = true;
    Eth(off + 8, end, kInner, &out_->inner, true);
  }

  const uint8_t* d_;
  size_t len_;
  const ParseOptions& opts_;
  bool quoted_;
  bool lenient_;  // lengths past the buffer are expected (quote, first fragment)
  ParsedFrame* out_;
};

}  // namespace

uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < len) sum += static_cast<uint32_t>(data[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

void ParseFrame(const uint8_t* data, size_t len, const ParseOptions& opts, bool quoted,
                ParsedFrame* out) {
  Parser(data, len, opts, quoted, out).Run();
}

}  // namespace vxprobe
