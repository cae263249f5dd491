// Module registration only: each part of the addon exports its own functions.
#include <napi.h>
#include <unistd.h>

#include <new>
#include <stdexcept>
#include <string>

#include "boundary.h"
#include "errors.h"
#include "frame.h"
#include "netlink.h"
#include "packet_socket.h"
#include "raw_ip_socket.h"

namespace vxprobe {

namespace {

// _throwForTest(kind): raises a C++ exception of the named kind inside a
// guarded call, so a test can prove that none of them reaches N-API (where it
// would abort the process) and that each arrives with its code.
Napi::Value ThrowForTest(const Napi::CallbackInfo& info) {
  std::string kind = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "length_error") throw std::length_error("vector too long");
  if (kind == "runtime_error") throw std::runtime_error("something broke");
  if (kind == "int") throw 42;
  return info.Env().Undefined();
}

}  // namespace

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("_throwForTest", Napi::Function::New(env, Guarded<ThrowForTest>, "_throwForTest"));
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
