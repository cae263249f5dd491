// Raw IPv4 sockets for the routed path (docs/architecture.md, "sending"):
// IPPROTO_RAW sends whole IPv4 packets that the kernel routes, resolves and
// runs through OUTPUT/POSTROUTING like real VXLAN traffic; IPPROTO_ICMP
// receives every ICMP message for this network namespace. This replaces the
// `raw-socket` package, so the addon is the only native code vxprobe ships
// (one prebuild, no compiler at install time: docs/shipping.md).
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "errors.h"

namespace vxprobe {

class RawIpSocket : public Napi::ObjectWrap<RawIpSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  explicit RawIpSocket(const Napi::CallbackInfo& info);
  ~RawIpSocket() override;

 private:
  struct PollHandle {
    uv_poll_t handle;
    RawIpSocket* owner;
  };

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void StopPolling();
  void CloseAll();
  void Deliver(Napi::Env env, int status);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* arg);

  int protocol_ = 0;
  UniqueFd fd_;
  PollHandle* poll_ = nullptr;  // owned by libuv until its close callback runs
  Napi::FunctionReference on_batch_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool referenced_ = false;
  bool closed_ = false;
  bool cleanup_hook_ = false;
};

void InitRawIpSocket(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
