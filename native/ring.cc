#include "ring.h"

#include <sys/socket.h>

#include <cerrno>

namespace vxprobe {

int RxRing::Map(int fd, uint32_t block_size, uint32_t block_count, uint32_t retire_ms,
                const char** failed_call) {
  int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    *failed_call = "setsockopt(PACKET_VERSION)";
    return errno;
  }
  tpacket_req3 req = {};
  req.tp_block_size = block_size;
  req.tp_block_nr = block_count;
  // V3 packs variable-sized frames into blocks; frame size only has to divide
  // the block and bound the ring's nominal frame count.
  req.tp_frame_size = 2048;
  req.tp_frame_nr = static_cast<unsigned>((static_cast<uint64_t>(block_size) * block_count) / 2048);
  // A block that is not full is still handed over after this long, so a
  // trickle of frames reaches JS within a few milliseconds.
  req.tp_retire_blk_tov = retire_ms;
  req.tp_feature_req_word = 0;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    *failed_call = "setsockopt(PACKET_RX_RING)";
    return errno;
  }
  size_t size = static_cast<size_t>(block_size) * block_count;
  // Not MAP_LOCKED: the ring's pages are the kernel's own, mapped in at once
  // and never swapped; locking them only walked every page at mmap and again
  // at munmap, once per run (docs/agent.md, "Budgets").
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    *failed_call = "mmap";
    return errno;
  }
  base_ = static_cast<uint8_t*>(base);
  size_ = size;
  block_size_ = block_size;
  block_count_ = block_count;
  next_ = 0;
  cursor_ = nullptr;
  left_ = 0;
  return 0;
}

void RxRing::Unmap() { Release().reset(); }

void RxRing::TakeFrom(RxRing& other) {
  if (&other == this) return;
  Unmap();
  base_ = other.base_;
  size_ = other.size_;
  block_size_ = other.block_size_;
  block_count_ = other.block_count_;
  next_ = other.next_;
  cursor_ = other.cursor_;
  left_ = other.left_;
  other.base_ = nullptr;
  other.size_ = 0;
  other.cursor_ = nullptr;
  other.left_ = 0;
}

RingMapping RxRing::Release() {
  RingMapping mapping(base_, size_);
  base_ = nullptr;
  size_ = 0;
  cursor_ = nullptr;
  left_ = 0;
  return mapping;
}

}  // namespace vxprobe
