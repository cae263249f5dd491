// The TPACKET_V3 receive ring: the kernel writes frames into blocks of a
// shared mapping and hands each block to us; we give it back when done. This
// is what lets capture keep up with a sender running flat out: no syscall and
// no copy per frame.
#pragma once

#include <linux/if_packet.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace vxprobe {

struct RingFrame {
  const uint8_t* data;
  uint32_t captured_len;  // bytes present at data (after the snap length)
  uint32_t wire_len;      // length of the frame on the wire
  double time_ms;         // kernel timestamp, ms since the epoch
  uint8_t pkttype;        // PACKET_HOST, PACKET_OUTGOING, ...
  bool vlan_valid;        // the NIC stripped an 802.1Q tag into metadata
  uint16_t vlan_tci;
};

class RxRing {
 public:
  RxRing() = default;
  RxRing(const RxRing&) = delete;
  RxRing& operator=(const RxRing&) = delete;
  ~RxRing() { Unmap(); }

  // Sets PACKET_VERSION/PACKET_RX_RING on fd and maps the ring. Returns 0 or
  // an errno; `failed_call` names the call that failed.
  int Map(int fd, uint32_t block_size, uint32_t block_count, uint32_t retire_ms,
          const char** failed_call);
  void Unmap();
  bool mapped() const { return base_ != nullptr; }

  // Visits every frame of up to `max_blocks` blocks the kernel has retired to
  // us, handing each block back afterwards. Returns the frames visited.
  template <typename Visit>
  size_t Drain(size_t max_blocks, Visit&& visit);

 private:
  tpacket_block_desc* Block(uint32_t i) const {
    return reinterpret_cast<tpacket_block_desc*>(base_ + static_cast<size_t>(i) * block_size_);
  }

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uint32_t block_size_ = 0;
  uint32_t block_count_ = 0;
  uint32_t next_ = 0;
};

template <typename Visit>
size_t RxRing::Drain(size_t max_blocks, Visit&& visit) {
  size_t frames = 0;
  for (size_t b = 0; b < max_blocks && base_; ++b) {
    tpacket_block_desc* block = Block(next_);
    // Acquire pairs with the kernel's release of the block to user space.
    uint32_t status = __atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;
    uint32_t count = block->hdr.bh1.num_pkts;
    auto* hdr = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(block) +
                                                block->hdr.bh1.offset_to_first_pkt);
    for (uint32_t i = 0; i < count; ++i) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<const uint8_t*>(hdr) +
                                                            TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      RingFrame f;
      f.data = reinterpret_cast<const uint8_t*>(hdr) + hdr->tp_mac;
      f.captured_len = hdr->tp_snaplen;
      f.wire_len = hdr->tp_len;
      f.time_ms = static_cast<double>(hdr->tp_sec) * 1e3 + static_cast<double>(hdr->tp_nsec) / 1e6;
      f.pkttype = ll->sll_pkttype;
      f.vlan_valid = (hdr->tp_status & TP_STATUS_VLAN_VALID) != 0;
      f.vlan_tci = static_cast<uint16_t>(hdr->hv1.tp_vlan_tci);
      visit(f);
      ++frames;
      hdr = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(hdr) + hdr->tp_next_offset);
    }
    __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    next_ = (next_ + 1) % block_count_;
  }
  return frames;
}

}  // namespace vxprobe
