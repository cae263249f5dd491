// The wire codec as plain C++ (no N-API): parse into fixed-size structs
// without allocating, build from a validated spec. frame.cc turns these into
// JS values; keeping them separate makes the codec fuzzable natively.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vxprobe {

// The probe token (docs/frame-path.md): "VXPB" | u8 version | 3 zero bytes |
// u32 runId | u32 probeId | u32 seq, big endian, at the start of the
// innermost payload. Exported to JS as TOKEN_LAYOUT; defined nowhere else.
constexpr char kTokenMagic[4] = {'V', 'X', 'P', 'B'};
constexpr uint8_t kTokenVersion = 1;
constexpr size_t kTokenRunIdOffset = 8;
constexpr size_t kTokenProbeIdOffset = 12;
constexpr size_t kTokenSeqOffset = 16;
constexpr size_t kTokenLength = 20;
constexpr size_t kMaxVxlanPorts = 32;

struct ParseOptions {
  uint16_t vxlan_ports[kMaxVxlanPorts] = {4789, 8472, 8475};
  size_t vxlan_port_count = 3;
  // true: the buffer starts at the IPv4 header (raw IP sockets).
  bool starts_at_ipv4 = false;
  bool IsVxlanPort(uint16_t port) const {
    for (size_t i = 0; i < vxlan_port_count; ++i)
      if (vxlan_ports[i] == port) return true;
    return false;
  }
};

struct EthInfo {
  uint8_t src[6];
  uint8_t dst[6];
  int vlan = -1;  // -1: untagged
  uint16_t ether_type = 0;
};

struct Ipv4Info {
  uint32_t src = 0, dst = 0;  // host byte order
  uint8_t ttl = 0, tos = 0, header_length = 0, protocol = 0;
  uint16_t id = 0, fragment_offset = 0, total_length = 0;
  bool dont_fragment = false, more_fragments = false, checksum_ok = false;
};

struct UdpInfo {
  uint16_t src_port = 0, dst_port = 0, length = 0, checksum = 0;
  int checksum_ok = -1;  // -1: zero checksum or not verifiable (truncated quote)
};

struct IcmpInfo {
  uint8_t type = 0, code = 0;
  bool checksum_ok = false;
  bool has_echo = false;
  uint16_t id = 0, seq = 0;
  bool has_mtu = false;
  uint16_t next_hop_mtu = 0;
  // The quoted packet of an error message: offset/length in the parsed buffer.
  bool has_quoted = false;
  size_t quoted_offset = 0, quoted_length = 0;
};

struct VxlanInfo {
  uint8_t flags = 0;
  uint32_t vni = 0;
  bool valid = false;
};

struct TokenInfo {
  uint32_t run_id = 0, probe_id = 0, seq = 0;
};

// One level of headers (outer, or the VXLAN-encapsulated inner frame).
struct Layers {
  bool has_eth = false, has_ip = false, has_udp = false, has_icmp = false;
  EthInfo eth;
  Ipv4Info ip;
  UdpInfo udp;
  IcmpInfo icmp;
};

struct ParseError {
  const char* layer = nullptr;
  size_t offset = 0;
  std::string message;
};

struct ParsedFrame {
  size_t length = 0;
  Layers outer;
  bool has_vxlan = false;
  VxlanInfo vxlan;
  bool has_inner = false;
  Layers inner;
  size_t payload_offset = 0, payload_length = 0;
  bool has_token = false;
  TokenInfo token;
  bool has_error = false;
  ParseError error;
};

// quoted: the bytes are the IPv4 packet quoted by an ICMP error, which is
// normally cut short, so lengths beyond the buffer are not errors there.
void ParseFrame(const uint8_t* data, size_t len, const ParseOptions& opts, bool quoted,
                ParsedFrame* out);

uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial = 0);

// ---- building ----

struct L2Spec {
  uint8_t src_mac[6] = {0}, dst_mac[6] = {0};
  int vlan = -1;
};

struct IpSpec {
  uint32_t src = 0, dst = 0;
  uint8_t ttl = 64, tos = 0;
  uint16_t id = 0;
  bool dont_fragment = true;
};

enum class ChecksumMode { kCompute, kZero, kWrong };

struct IcmpEchoSpec {
  uint8_t type = 8, code = 0;
  uint16_t id = 0, seq = 0;
};

struct InnerSpec {
  L2Spec l2;
  IpSpec ip;
  bool udp = false;  // false: ICMP
  IcmpEchoSpec icmp;
  uint16_t src_port = 49152, dst_port = 7;
};

struct FrameSpec {
  bool ethernet = true;
  L2Spec l2;
  IpSpec ip;
  bool outer_icmp = false;  // plain ICMP at the outer level instead of UDP
  IcmpEchoSpec icmp;
  uint16_t src_port = 0, dst_port = 0;
  ChecksumMode udp_checksum = ChecksumMode::kCompute;
  bool has_vxlan = false;
  uint32_t vni = 0;
  uint8_t vxlan_flags = 0x08;
  bool has_inner = false;
  InnerSpec inner;
  std::vector<uint8_t> payload;
  long pad_to = -1;  // outer IPv4 total length, -1: none
};

// Size of the frame before padding; the outer IPv4 total length is
// returned in *ip_total.
size_t FrameSize(const FrameSpec& spec, size_t* ip_total);
// Writes exactly FrameSize() (plus padding) bytes; `pad` zero bytes are added
// to the innermost payload.
void WriteFrame(const FrameSpec& spec, size_t pad, uint8_t* out);

}  // namespace vxprobe
