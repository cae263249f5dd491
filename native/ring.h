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
  // The checksum is left to the NIC (offload) and not yet filled in: a "bad"
  // checksum in the captured bytes means nothing then.
  bool csum_not_ready;
};

// A ring's mapping on its own, to be unmapped elsewhere: the mapping holds
// the socket's last reference, so unmapping it runs the kernel's socket
// release (an RCU grace period) and frees the ring's pages, tens of ms that
// closeAsync moves to a libuv pool thread (docs/performance.md).
class RingMapping {
 public:
  RingMapping() = default;
  RingMapping(void* base, size_t size) : base_(base), size_(size) {}
  RingMapping(const RingMapping&) = delete;
  RingMapping& operator=(const RingMapping&) = delete;
  RingMapping(RingMapping&& o) noexcept : base_(o.base_), size_(o.size_) { o.base_ = nullptr; }
  RingMapping& operator=(RingMapping&& o) noexcept {
    if (this != &o) {
      reset();
      base_ = o.base_;
      size_ = o.size_;
      o.base_ = nullptr;
    }
    return *this;
  }
  ~RingMapping() { reset(); }
  void reset() {
    if (base_) munmap(base_, size_);
    base_ = nullptr;
  }

 private:
  void* base_ = nullptr;
  size_t size_ = 0;
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
  // Gives up the mapping without unmapping it; the ring is empty afterwards.
  RingMapping Release();
  // Takes over `other`'s mapping and read position (a ring set up on a pool
  // thread, capture_open.h); `other` is empty afterwards.
  void TakeFrom(RxRing& other);
  bool mapped() const { return base_ != nullptr; }

  // Visits up to `max_frames` frames the kernel has handed to us, resuming
  // inside a block where the previous call stopped, and gives each block
  // back once all its frames were visited. `full()` is asked before each
  // frame: true stops here, leaving that frame for the next call. Returns the
  // frames visited.
  template <typename Visit, typename Full>
  size_t Drain(size_t max_frames, Visit&& visit, Full&& full);
  template <typename Visit>
  size_t Drain(size_t max_frames, Visit&& visit) {
    return Drain(max_frames, visit, [] { return false; });
  }

 private:
  tpacket_block_desc* Block(uint32_t i) const {
    return reinterpret_cast<tpacket_block_desc*>(base_ + static_cast<size_t>(i) * block_size_);
  }

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uint32_t block_size_ = 0;
  uint32_t block_count_ = 0;
  uint32_t next_ = 0;               // block we are reading or will read next
  tpacket3_hdr* cursor_ = nullptr;  // next frame in block next_, when inside it
  uint32_t left_ = 0;               // frames of block next_ not yet visited
};

template <typename Visit, typename Full>
size_t RxRing::Drain(size_t max_frames, Visit&& visit, Full&& full) {
  size_t frames = 0;
  while (base_ && frames < max_frames) {
    tpacket_block_desc* block = Block(next_);
    if (!cursor_) {
      // Acquire pairs with the kernel's release of the block to user space.
      uint32_t status = __atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
      if (!(status & TP_STATUS_USER)) break;
      left_ = block->hdr.bh1.num_pkts;
      cursor_ = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(block) +
                                                block->hdr.bh1.offset_to_first_pkt);
    }
    for (; left_ > 0 && frames < max_frames && !full(); --left_, ++frames) {
      const tpacket3_hdr* hdr = cursor_;
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
      f.csum_not_ready = (hdr->tp_status & TP_STATUS_CSUMNOTREADY) != 0;
      visit(f);
      cursor_ = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(cursor_) +
                                                cursor_->tp_next_offset);
    }
    if (left_ > 0) break;  // budget spent inside this block; resume here next time
    __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    cursor_ = nullptr;
    next_ = (next_ + 1) % block_count_;
  }
  return frames;
}

}  // namespace vxprobe
