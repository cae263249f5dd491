// Whole-file writes and bounded reads, each done entirely on a libuv pool
// thread: open, write or read, close, with no JS step in between. tracefs
// refuses to remove an instance (EBUSY) while any of its files is open; with
// Node's fs.promises each step is its own request scheduled from the JS
// thread, so a file stays open whenever that thread is blocked (an exit or
// signal handler removing the instance) and the removal can never succeed.
// Here a file is open only while a pool thread is inside a system call
// (docs/kernel-drop-reasons.md, "Instances").
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "boundary.h"
#include "errors.h"
#include "file_ops.h"
#include "promise_worker.h"

namespace vxprobe {

namespace {

constexpr size_t kMaxWrites = 64;
constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxValue = 4096;
constexpr int64_t kMaxRead = 64 << 20;

std::string BoundedString(Napi::Env env, Napi::Value v, size_t max, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > max) throw Napi::RangeError::New(env, std::string(what) + " is too long");
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(env, std::string(what) + " holds a NUL byte");
  return s;
}

class WriteFilesWorker : public PromiseWorker {
 public:
  WriteFilesWorker(Napi::Env env, std::vector<std::pair<std::string, std::string>> items)
      : PromiseWorker(env, "writeFilesAsync"), items_(std::move(items)) {}

 private:
  // In order; the first failure stops the rest (a later setting may depend on an earlier one).
  void Work() override {
    for (const auto& [path, value] : items_) {
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      if (!fd.valid()) return Fail(errno, "open", path);
      if (!value.empty()) {
        ssize_t n;
        do n = ::write(fd.get(), value.data(), value.size());
        while (n < 0 && errno == EINTR);
        if (n < 0) return Fail(errno, "write", path);
      }
    }
  }
  void Fail(int err, const char* syscall, const std::string& path) {
    err_ = err;
    syscall_ = syscall;
    path_ = path;
  }
  Napi::Value Result(Napi::Env env) override {
    if (err_) throw SystemError(env, err_, syscall_, path_);
    return env.Undefined();
  }
  std::vector<std::pair<std::string, std::string>> items_;
  int err_ = 0;
  const char* syscall_ = "";
  std::string path_;
};

class ReadFileWorker : public PromiseWorker {
 public:
  ReadFileWorker(Napi::Env env, std::string path, size_t max)
      : PromiseWorker(env, "readFileAsync"), path_(std::move(path)), max_(max) {}

 private:
  void Work() override {
    UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      err_ = errno;
      syscall_ = "open";
      return;
    }
    while (data_.size() < max_) {
      size_t want = std::min<size_t>(1 << 16, max_ - data_.size());
      size_t at = data_.size();
      data_.resize(at + want);
      ssize_t n = ::read(fd.get(), data_.data() + at, want);
      if (n < 0 && errno == EINTR) {
        data_.resize(at);
        continue;
      }
      if (n < 0) {
        err_ = errno;
        syscall_ = "read";
        data_.resize(at);
        return;
      }
      data_.resize(at + static_cast<size_t>(n));
      if (n == 0) break;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    if (err_) throw SystemError(env, err_, syscall_, path_);
    return Napi::Buffer<char>::Copy(env, data_.data(), data_.size());
  }
  std::string path_;
  size_t max_;
  std::vector<char> data_;
  int err_ = 0;
  const char* syscall_ = "";
};

// writeFilesAsync([[path, value], ...]): each file opened (no O_CREAT), written, closed.
Napi::Value WriteFilesAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "writeFilesAsync expects an array of [path, value]");
  Napi::Array list = info[0].As<Napi::Array>();
  const uint32_t count = list.Length();  // read once: a getter must not change it under us
  if (count > kMaxWrites) throw Napi::RangeError::New(env, "writeFilesAsync: too many files");
  std::vector<std::pair<std::string, std::string>> items;
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsArray()) throw Napi::TypeError::New(env, "writeFilesAsync: each item must be [path, value]");
    Napi::Array pair = item.As<Napi::Array>();
    items.emplace_back(BoundedString(env, pair.Get(0u), kMaxPath, "path"),
                       BoundedString(env, pair.Get(1u), kMaxValue, "value"));
  }
  auto* worker = new WriteFilesWorker(env, std::move(items));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// readFileAsync(path, maxBytes): at most maxBytes of the file, as a Buffer.
Napi::Value ReadFileAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = BoundedString(env, info[0], kMaxPath, "path");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "maxBytes must be a number");
  int64_t max = info[1].As<Napi::Number>().Int64Value();
  if (max < 0 || max > kMaxRead) throw Napi::RangeError::New(env, "maxBytes must be in 0..64 MiB");
  auto* worker = new ReadFileWorker(env, std::move(path), static_cast<size_t>(max));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitFileOps(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFilesAsync", Napi::Function::New(env, Guarded<WriteFilesAsync>, "writeFilesAsync"));
  exports.Set("readFileAsync", Napi::Function::New(env, Guarded<ReadFileAsync>, "readFileAsync"));
}

}  // namespace vxprobe
