// Module registration only: each part of the addon exports its own functions.
#include <napi.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include "boundary.h"
#include "errors.h"
#include "file_ops.h"
#include "frame.h"
#include "netlink.h"
#include "packet_socket.h"
#include "probe_tag.h"
#include "promise_worker.h"
#include "raw_ip_socket.h"

namespace vxprobe {

namespace {

// _throwForTest(kind): raises a C++ exception of the named kind inside a
// guarded call, so a test can prove that none of them reaches N-API (where it
// would abort the process) and that each arrives with its code.
void ThrowKind(const std::string& kind) {
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "length_error") throw std::length_error("vector too long");
  if (kind == "runtime_error") throw std::runtime_error("something broke");
  if (kind == "int") throw 42;
}

Napi::Value ThrowForTest(const Napi::CallbackInfo& info) {
  ThrowKind(info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "");
  return info.Env().Undefined();
}

// _throwAsyncForTest(kind, where): a PromiseWorker that raises `kind` on the
// pool thread (where = "execute") or while building its result on the JS
// thread (where = "result"): the promise must reject with a code, the
// process must live on (promise_worker.h).
class ThrowWorker : public PromiseWorker {
 public:
  ThrowWorker(Napi::Env env, std::string kind, bool in_execute)
      : PromiseWorker(env, "_throwAsyncForTest"), kind_(std::move(kind)), in_execute_(in_execute) {}

 private:
  void Work() override {
    if (in_execute_) ThrowKind(kind_);
  }
  Napi::Value Result(Napi::Env env) override {
    if (!in_execute_) ThrowKind(kind_);
    return Napi::String::New(env, "resolved");
  }
  std::string kind_;
  bool in_execute_;
};

Napi::Value ThrowAsyncForTest(const Napi::CallbackInfo& info) {
  std::string kind = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  bool in_execute = info[1].IsString() && info[1].As<Napi::String>().Utf8Value() == "execute";
  auto* worker = new ThrowWorker(info.Env(), kind, in_execute);  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  // Test hooks exist only where the test suite asks for them (vitest.config.ts):
  // a shipped addon exposes nothing that exists only to misbehave.
  const char* hooks = std::getenv("VXPROBE_NATIVE_TEST_HOOKS");
  if (hooks != nullptr && std::string(hooks) == "1") {
    exports.Set("_throwForTest", Napi::Function::New(env, Guarded<ThrowForTest>, "_throwForTest"));
    exports.Set("_throwAsyncForTest",
                Napi::Function::New(env, Guarded<ThrowAsyncForTest>, "_throwAsyncForTest"));
  }
  InitFrame(env, exports);
  InitPacketSocket(env, exports);
  InitProbeTag(env, exports);
  InitNetlink(env, exports);
  InitRawIpSocket(env, exports);
  InitFileOps(env, exports);
  InitTcpMss(env, exports);
  return exports;
}

}  // namespace vxprobe

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return vxprobe::InitAddon(env, exports);
}

NODE_API_MODULE(vxprobe, Init)
