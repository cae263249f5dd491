// closeAsync(): a close whose slow half runs on a libuv pool thread. Closing
// an AF_PACKET socket costs tens of ms of kernel time (each socket's release
// waits for an RCU grace period, and the ring's pages are freed when it is
// unmapped: docs/performance.md); an agent serving HTTP and control sessions
// should not stall for that. The JS-thread half (Detach) is what close()
// does too: polling stops, so no batch callback runs afterwards, and the
// socket counts as closed at once. The worker owns the fds and the mapping
// outright, so it touches nothing of the PacketSocket: the JS object may be
// collected, or the environment torn down, before it runs. A pending
// sendBurstAsync is unaffected (it sends on its own dup() of the fd).
#include "packet_socket.h"
#include "promise_worker.h"

namespace vxprobe {
namespace {

class CloseWorker : public PromiseWorker {
 public:
  CloseWorker(Napi::Env env, ClosedSocket closed)
      : PromiseWorker(env, "closeAsync"), closed_(std::move(closed)) {}

 private:
  void Work() override { closed_.Release(); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

  // Released by Work, or by the destructor if the work never ran.
  ClosedSocket closed_;
};

Napi::Value Resolved(Napi::Env env) {
  auto done = Napi::Promise::Deferred::New(env);
  done.Resolve(env.Undefined());
  return done.Promise();
}

}  // namespace

// Resolves once the kernel's sockets are gone; at once when already closed
// (the TS wrapper hands a second caller the first call's promise).
Napi::Value PacketSocket::CloseAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  on_batch_.Reset();
  if (closed_) return Resolved(env);
  auto* worker = new CloseWorker(env, Detach());  // deleted by node-addon-api after OnOK
  Napi::Promise promise = worker->Promise();
  try {
    worker->Queue();
  } catch (...) {
    // Not queued: release here (the destructor does), the socket is closed either way.
    delete worker;
    return Resolved(env);
  }
  return promise;
}

}  // namespace vxprobe
