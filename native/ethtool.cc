// ethtoolInfo(ifname): { driver, features } through the SIOCETHTOOL ioctl,
// the same calls `ethtool -i` and `ethtool -k` make. Feature names are the
// kernel's own ("tx-checksum-ip-generic", "tx-udp_tnl-segmentation" ...);
// the TypeScript side folds them into ethtool's summary names. ethtoolInfoAsync
// makes the same calls on a libuv pool thread.
#include "ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "boundary.h"
#include "errors.h"
#include "promise_worker.h"

namespace vxprobe {
namespace {

struct EthtoolError {
  int err;
  const char* what;
};

class EthtoolDevice {
 public:
  explicit EthtoolDevice(const std::string& name)
      : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (!fd_.valid()) throw EthtoolError{errno, "socket"};
    std::strncpy(ifr_.ifr_name, name.c_str(), IFNAMSIZ - 1);
  }
  // Returns 0 or -errno; the caller decides which errors mean "unsupported".
  int Call(void* data) {
    ifr_.ifr_data = static_cast<char*>(data);
    for (;;) {
      if (::ioctl(fd_.get(), SIOCETHTOOL, &ifr_) == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }

 private:
  UniqueFd fd_;
  ifreq ifr_{};
};

bool Unsupported(int rc) { return rc == -EOPNOTSUPP || rc == -EINVAL; }

// What the ioctls answered, with no JS in it: read on the JS thread
// (ethtoolInfo) or on a libuv pool thread (ethtoolInfoAsync).
struct EthtoolData {
  bool has_driver = false;
  std::string driver;
  bool has_features = false;
  std::vector<std::pair<std::string, bool>> features;
};

void ReadDriver(EthtoolDevice& dev, EthtoolData* out) {
  ethtool_drvinfo drv{};
  drv.cmd = ETHTOOL_GDRVINFO;
  int rc = dev.Call(&drv);
  if (Unsupported(rc)) return;
  if (rc < 0) throw EthtoolError{-rc, "ETHTOOL_GDRVINFO"};
  out->has_driver = true;
  out->driver.assign(drv.driver, strnlen(drv.driver, sizeof drv.driver));
}

void ReadFeatures(EthtoolDevice& dev, EthtoolData* out) {
  // ethtool_sset_info ends in a flexible array: one u32 per requested set.
  std::vector<uint64_t> sset_buf((sizeof(ethtool_sset_info) + sizeof(uint32_t) + 7) / 8);
  auto* sset = reinterpret_cast<ethtool_sset_info*>(sset_buf.data());
  sset->cmd = ETHTOOL_GSSET_INFO;
  sset->sset_mask = 1ULL << ETH_SS_FEATURES;
  int rc = dev.Call(sset);
  if (Unsupported(rc)) return;
  if (rc < 0) throw EthtoolError{-rc, "ETHTOOL_GSSET_INFO"};
  if (!(sset->sset_mask & (1ULL << ETH_SS_FEATURES))) return;
  uint32_t count = sset->data[0];

  std::vector<uint64_t> str_buf((sizeof(ethtool_gstrings) + count * ETH_GSTRING_LEN + 7) / 8);
  auto* strings = reinterpret_cast<ethtool_gstrings*>(str_buf.data());
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  rc = dev.Call(strings);
  if (rc < 0) throw EthtoolError{-rc, "ETHTOOL_GSTRINGS"};

  uint32_t blocks = (count + 31) / 32;
  std::vector<uint64_t> feat_buf(
      (sizeof(ethtool_gfeatures) + blocks * sizeof(ethtool_get_features_block) + 7) / 8);
  auto* feats = reinterpret_cast<ethtool_gfeatures*>(feat_buf.data());
  feats->cmd = ETHTOOL_GFEATURES;
  feats->size = blocks;
  rc = dev.Call(feats);
  if (rc < 0) throw EthtoolError{-rc, "ETHTOOL_GFEATURES"};

  out->has_features = true;
  for (uint32_t i = 0; i < count && i < strings->len; ++i) {
    auto* raw = reinterpret_cast<const char*>(strings->data + i * ETH_GSTRING_LEN);
    std::string name(raw, strnlen(raw, ETH_GSTRING_LEN));
    if (name.empty()) continue;
    bool active = (feats->features[i / 32].active >> (i % 32)) & 1;
    out->features.emplace_back(std::move(name), active);
  }
}

EthtoolData ReadEthtool(const std::string& name) {
  EthtoolDevice dev(name);
  EthtoolData d;
  ReadDriver(dev, &d);
  ReadFeatures(dev, &d);
  return d;
}

Napi::Object EthtoolObject(Napi::Env env, const EthtoolData& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("driver", d.has_driver ? Napi::Value(Napi::String::New(env, d.driver)) : env.Null());
  if (!d.has_features) {
    o.Set("features", env.Null());
  } else {
    Napi::Object features = Napi::Object::New(env);
    for (const auto& [name, active] : d.features) {
      features.Set(name, Napi::Boolean::New(env, active));
    }
    o.Set("features", features);
  }
  return o;
}

std::string ReadIfnameArg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "ifname must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    throw Napi::RangeError::New(env, "ifname must be 1 to 15 characters");
  }
  return name;
}

Napi::Value EthtoolInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ReadIfnameArg(info);
  try {
    return EthtoolObject(env, ReadEthtool(name));
  } catch (const EthtoolError& e) {
    throw SystemError(env, e.err, e.what, name);
  }
}

// The ioctls on a pool thread; the interface name is the worker's own copy.
class EthtoolWorker : public PromiseWorker {
 public:
  EthtoolWorker(Napi::Env env, std::string name)
      : PromiseWorker(env, "ethtoolInfoAsync"), name_(std::move(name)) {}

 private:
  void Work() override {
    try {
      data_ = ReadEthtool(name_);
    } catch (const EthtoolError& e) {
      error_ = e;
      failed_ = true;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    if (failed_) throw SystemError(env, error_.err, error_.what, name_);
    return EthtoolObject(env, data_);
  }

  std::string name_;
  EthtoolData data_;
  bool failed_ = false;
  EthtoolError error_{0, ""};
};

Napi::Value EthtoolInfoAsync(const Napi::CallbackInfo& info) {
  auto* worker = new EthtoolWorker(info.Env(), ReadIfnameArg(info));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitEthtool(Napi::Env env, Napi::Object exports) {
  exports.Set("ethtoolInfo", Napi::Function::New(env, Guarded<EthtoolInfo>, "ethtoolInfo"));
  exports.Set("ethtoolInfoAsync",
              Napi::Function::New(env, Guarded<EthtoolInfoAsync>, "ethtoolInfoAsync"));
}

}  // namespace vxprobe
