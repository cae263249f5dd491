#include "frame_object.h"

namespace vxprobe {
namespace {

constexpr const char* kKeyNames[] = {
#define VXPROBE_KEY_NAME(name) #name,
    VXPROBE_FRAME_KEYS(VXPROBE_KEY_NAME)
#undef VXPROBE_KEY_NAME
};

// One environment per thread (main thread or a worker), so the reference
// lives per thread and is dropped when that environment is torn down. Before
// N-API 10 only objects can be referenced, so the keys sit in an array.
struct KeyRefs {
  napi_env env = nullptr;
  napi_ref array = nullptr;
};
thread_local KeyRefs tl_refs;

void DropKeyRefs(void*) {
  // The environment frees its references itself at teardown.
  tl_refs = KeyRefs{};
}

void Check(napi_env env, napi_status status) {
  // Napi::Error::New(env) picks up the pending exception or last error.
  if (status != napi_ok) throw Napi::Error::New(env);
}

}  // namespace

FrameKeys::FrameKeys(napi_env env) : env_(env) {
  if (tl_refs.env == env) return;
  tl_refs = KeyRefs{};
  napi_value array;
  Check(env, napi_create_array_with_length(env, static_cast<size_t>(Key::kCount), &array));
  for (int i = 0; i < static_cast<int>(Key::kCount); ++i) {
    napi_value s;
    Check(env, napi_create_string_utf8(env, kKeyNames[i], NAPI_AUTO_LENGTH, &s));
    Check(env, napi_set_element(env, array, static_cast<uint32_t>(i), s));
  }
  Check(env, napi_create_reference(env, array, 1, &tl_refs.array));
  tl_refs.env = env;
  Check(env, napi_add_env_cleanup_hook(env, DropKeyRefs, nullptr));
}

napi_value FrameKeys::Get(Key k) {
  napi_value& v = values_[static_cast<int>(k)];
  if (v == nullptr) {
    if (array_ == nullptr) Check(env_, napi_get_reference_value(env_, tl_refs.array, &array_));
    Check(env_, napi_get_element(env_, array_, static_cast<uint32_t>(k), &v));
  }
  return v;
}

ObjectBuilder& ObjectBuilder::Add(Key k, napi_value v) {
  props_[n_++] = {nullptr, keys_.Get(k), nullptr, nullptr, nullptr, v, napi_default_jsproperty,
                  nullptr};
  return *this;
}

ObjectBuilder& ObjectBuilder::Num(Key k, double v) {
  napi_value n;
  Check(env_, napi_create_double(env_, v, &n));
  return Add(k, n);
}

ObjectBuilder& ObjectBuilder::Bool(Key k, bool v) {
  napi_value b;
  Check(env_, napi_get_boolean(env_, v, &b));
  return Add(k, b);
}

ObjectBuilder& ObjectBuilder::Null(Key k) {
  napi_value n;
  Check(env_, napi_get_null(env_, &n));
  return Add(k, n);
}

ObjectBuilder& ObjectBuilder::Str(Key k, const char* s, size_t len) {
  napi_value v;
  Check(env_, napi_create_string_latin1(env_, s, len, &v));
  return Add(k, v);
}

napi_value ObjectBuilder::Build() {
  napi_value obj;
  Check(env_, napi_create_object(env_, &obj));
  Check(env_, napi_define_properties(env_, obj, n_, props_));
  return obj;
}

}  // namespace vxprobe
