// Setting up a capture socket (filter, ring, bind) without N-API, so that it
// can run on a libuv pool thread: setsockopt(PACKET_RX_RING) always waits for
// an RCU grace period in the kernel (7-12 ms), which on the JS thread stalls
// the event loop once per run (docs/agent.md, "Budgets"). The JS thread then
// adopts the prepared socket into a PacketSocket (packet_socket.cc).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "errors.h"
#include "packet_socket.h"
#include "ring.h"

namespace vxprobe {

// Returns 0 or an errno.
int BindTo(int fd, int ifindex, uint16_t protocol);

// A receiving AF_PACKET socket on `ifindex`: the filter attached before
// bind() hooks it in, so no unfiltered frame ever lands in the ring. Any
// thread. Returns 0 or an errno; `failed` names the call that failed.
int OpenCaptureFd(const SocketOptions& opts, int ifindex, UniqueFd* fd, RxRing* ring,
                  const char** failed);

// What openCaptureAsync hands to JS (inside an External) for a PacketSocket
// to adopt; whatever is not adopted is released when the External is
// collected.
struct PreparedCapture {
  std::string ifname;
  int ifindex = 0;
  UniqueFd fd;
  RxRing ring;
};

// openCaptureAsync(ifname, options): a Promise of a prepared capture socket,
// an External type-tagged as one.
Napi::Value OpenCaptureAsyncJs(const Napi::CallbackInfo& info);

// The PreparedCapture in `value`, or null when it is anything else (another
// External included: the tag is checked before the pointer is read).
PreparedCapture* PreparedCaptureOf(Napi::Env env, Napi::Value value);

}  // namespace vxprobe
