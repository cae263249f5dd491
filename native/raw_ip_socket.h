// Raw IPv4 sockets for the routed path (docs/architecture.md, "sending"):
// IPPROTO_RAW sends whole IPv4 packets that the kernel routes, resolves and
// runs through OUTPUT/POSTROUTING like real VXLAN traffic; IPPROTO_ICMP
// receives every ICMP message for this network namespace. This replaces the
// `raw-socket` package, so the addon is the only native code vxprobe ships
// (one prebuild, no compiler at install time: docs/shipping.md).
#pragma once
#include <napi.h>

#include <memory>

#include "errors.h"
#include "fd_watcher.h"

namespace vxprobe {

class RawIpSocket : public Napi::ObjectWrap<RawIpSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  explicit RawIpSocket(const Napi::CallbackInfo& info);
  ~RawIpSocket() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void CloseAll();
  void Deliver(Napi::Env env, int status);
  static void OnEnvCleanup(void* arg);

  int protocol_ = 0;
  UniqueFd fd_;
  FdWatcher watcher_;
  Napi::FunctionReference on_batch_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool closed_ = false;
  bool cleanup_hook_ = false;
};

void InitRawIpSocket(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe
