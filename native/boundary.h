// The one place where C++ failures become JS errors. A C++ exception that is
// not a Napi::Error must never reach N-API or libuv: it would call
// std::terminate and abort the whole process (docs/native-hardening.md).
// binding.gyp also defines NODE_ADDON_API_CPP_EXCEPTIONS_ALL as a backstop for
// constructors and accessors; Guarded<> adds a `code` the CLI can act on.
#pragma once

#include <napi.h>

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

namespace vxprobe {

// An Error with a `code` property, like Node's own errors.
inline Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// Runs fn; every C++ exception leaves as a JS Error with a code: ENOMEM for
// allocation failures, EINTERNAL for anything else (a bug, reported not fatal).
template <typename Fn>
Napi::Value RunGuarded(Napi::Env env, const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw CodedError(env, "ENOMEM", std::string(what) + ": out of memory");
  } catch (const std::length_error&) {
    throw CodedError(env, "ENOMEM", std::string(what) + ": allocation too large");
  } catch (const std::exception& e) {
    throw CodedError(env, "EINTERNAL", std::string(what) + ": internal error: " + e.what());
  } catch (...) {
    throw CodedError(env, "EINTERNAL", std::string(what) + ": internal error");
  }
}

// Napi::Function::New(env, Guarded<Fn>, name): Fn behind RunGuarded.
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  return RunGuarded(info.Env(), "native call", [&]() { return Fn(info); });
}

}  // namespace vxprobe
