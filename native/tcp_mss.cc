// TCP_MAXSEG on the control channel's listening socket (Node has no API for
// it). Accepted connections inherit it, and Linux caps both the MSS it
// advertises and the one it sends with, so no control segment in either
// direction is larger than this: the channel survives a path-MTU black hole
// (a smaller MTU on the way and no ICMP back), which is one of the faults
// vxprobe is run to find (docs/threat-model.md, "Control channel").
#include <napi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "boundary.h"
#include "errors.h"
#include "file_ops.h"

namespace vxprobe {

namespace {

Napi::Value SetTcpMaxSeg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "setTcpMaxSeg(fd, mss) expects two numbers");
  int64_t fd = info[0].As<Napi::Number>().Int64Value();
  int64_t mss = info[1].As<Napi::Number>().Int64Value();
  if (fd < 0 || fd > 0x7fffffff) throw Napi::RangeError::New(env, "fd out of range");
  if (mss < 536 || mss > 65535) throw Napi::RangeError::New(env, "mss must be in 536..65535");
  int value = static_cast<int>(mss);
  // A descriptor that is not a TCP socket fails here with its errno: nothing else is touched.
  if (setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_MAXSEG, &value, sizeof(value)) != 0)
    throw SystemError(env, errno, "setsockopt(TCP_MAXSEG)");
  return env.Undefined();
}

}  // namespace

void InitTcpMss(Napi::Env env, Napi::Object exports) {
  exports.Set("setTcpMaxSeg", Napi::Function::New(env, Guarded<SetTcpMaxSeg>, "setTcpMaxSeg"));
}

}  // namespace vxprobe
