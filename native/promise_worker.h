// The async half of boundary.h: a Promise-returning Napi::AsyncWorker whose
// two halves are both fenced (docs/native-hardening.md).
// - Execute runs on a libuv pool thread. node-addon-api catches only
//   std::exception there; anything else would unwind into libuv and abort.
//   Here everything is caught and becomes ENOMEM/EINTERNAL.
// - OnOK runs from libuv's completion callback. An exception thrown while
//   building the result would surface as an uncaught exception and leave the
//   promise pending forever; here it rejects the promise instead.
#pragma once

#include <napi.h>

#include <new>
#include <stdexcept>
#include <string>

#include "boundary.h"

namespace vxprobe {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // `name` must outlive the worker (a string literal): it names the call in errors.
  PromiseWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), name_(name), deferred_(env) {}

  // Pool thread: no N-API. Expected failures (errno) are stored by the
  // subclass and reported from Result; anything thrown is caught here.
  virtual void Work() = 0;
  // JS thread: the value to resolve with; throwing a Napi::Error rejects.
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() final {
    try {
      Work();
    } catch (const std::bad_alloc&) {
      fault_ = "ENOMEM";
    } catch (const std::length_error&) {
      fault_ = "ENOMEM";
    } catch (...) {
      fault_ = "EINTERNAL";
    }
  }

  // SetError is never called, so OnError is never reached: every outcome,
  // including a fault on the pool thread, is settled here.
  void OnOK() final {
    Napi::Env env = Env();
    try {
      Napi::Value value = RunGuarded(env, name_, [&]() -> Napi::Value {
        if (fault_) {
          const bool oom = std::string(fault_) == "ENOMEM";
          throw CodedError(env, fault_,
                           std::string(name_) + (oom ? ": out of memory" : ": internal error"));
        }
        return Result(env);
      });
      deferred_.Resolve(value);
    } catch (const Napi::Error& e) {
      try {
        deferred_.Reject(e.Value());
      } catch (...) {
        // Not even a rejection can be made (the environment is going away).
      }
    } catch (...) {
    }
  }

  const char* name_;
  const char* fault_ = nullptr;
  Napi::Promise::Deferred deferred_;
};

}  // namespace vxprobe
