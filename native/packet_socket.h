// AF_PACKET socket bound to one interface: crafted frames out (one, or a
// sequence-stamped burst), filtered frames in through a TPACKET_V3 ring
// delivered to JS in batches by a watcher on the environment's loop (fd_watcher.h).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "fd_watcher.h"
#include "frame_codec.h"
#include "frame_record.h"
#include "ring.h"

namespace vxprobe {

// Parsed records per wake-up (the size of the socket's record buffer): about
// 2 ms of work, so a flood never stalls the loop for long.
constexpr size_t kRecordsPerWake = 4096;
// A socket's record buffer starts this small and doubles (up to
// kRecordsPerWake) whenever a wake-up fills it. A full-size buffer is 6.6 MiB,
// which a short pairing run never needs and which the allocator hands back
// with every page touched: an agent opens a socket per run (docs/agent.md,
// "Budgets").
constexpr size_t kFirstRecordsPerWake = 64;

struct SocketOptions {
  bool capture = true;          // false: a send-only socket, no ring, no filter
  std::vector<uint16_t> ports;  // UDP ports to keep (src or dst); empty = all UDP
  bool icmp = true;             // keep IPv4 ICMP too
  ParseOptions parse;           // which UDP ports the parser decodes as VXLAN
  bool promiscuous = false;
  uint32_t ring_block_size = 1u << 20;
  uint32_t ring_blocks = 32;
  uint32_t snap_len = 65535;
  uint32_t retire_ms = 8;
  bool raw = false;            // attach each frame's bytes to its record
  bool has_token_run = false;  // count tokens of one run natively (fast path)
  uint32_t token_run_id = 0;
};

// What a close gives up: both fds and the ring's mapping. Releasing them is
// the slow part of a close (the kernel's socket release waits for RCU grace
// periods: docs/performance.md), so it happens wherever this object is
// released: on the JS thread for close(), on a pool thread for closeAsync().
struct ClosedSocket {
  UniqueFd rx;
  UniqueFd tx;
  RingMapping ring;

  ClosedSocket() = default;
  ClosedSocket(ClosedSocket&&) = default;
  ClosedSocket& operator=(ClosedSocket&&) = default;
  ~ClosedSocket() { Release(); }
  void Release() {
    rx.reset();
    tx.reset();
    ring.reset();
  }
};

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  explicit PacketSocket(const Napi::CallbackInfo& info);
  ~PacketSocket() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBurst(const Napi::CallbackInfo& info);
  Napi::Value SendBurstAsync(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CloseAsync(const Napi::CallbackInfo& info);
  Napi::Value GetIfname(const Napi::CallbackInfo& info);
  Napi::Value GetIfindex(const Napi::CallbackInfo& info);
  Napi::Value GetMac(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  void OpenReceiver(Napi::Env env);
  void AdoptReceiver(Napi::Env env, Napi::Value prepared);
  void OpenSender(Napi::Env env);
  void CloseAll();
  ClosedSocket Detach();
  void ReadStats();
  void OnReadable();
  void Deliver(Napi::Env env, int status);
  Napi::Float64Array RecordBuffer(Napi::Env env);
  static void OnEnvCleanup(void* arg);

  SocketOptions opts_;
  std::string ifname_;
  int ifindex_ = 0;
  uint8_t mac_[6] = {};
  UniqueFd rx_fd_;
  UniqueFd tx_fd_;
  RxRing ring_;
  FdWatcher watcher_;
  Napi::FunctionReference on_batch_;
  Napi::Reference<Napi::Float64Array> records_;
  size_t record_capacity_ = kFirstRecordsPerWake;  // records per wake-up now
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool closed_ = false;
  bool cleanup_hook_ = false;
  uint64_t received_ = 0;
  uint64_t dropped_ = 0;
  uint64_t freezes_ = 0;
};

void InitPacketSocket(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
