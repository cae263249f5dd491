// Module registration only: each part of the addon exports its own functions.
#include <napi.h>
#include <unistd.h>

#include "errors.h"
#include "frame.h"
#include "netlink.h"
#include "packet_socket.h"
#include "raw_ip_socket.h"

namespace vxprobe {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  InitFrame(env, exports);
  InitPacketSocket(env, exports);
  InitNetlink(env, exports);
  InitRawIpSocket(env, exports);
  return exports;
}

}  // namespace vxprobe

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return vxprobe::InitAddon(env, exports);
}

NODE_API_MODULE(vxprobe, Init)
