// Off the JS thread: routeGetAsync(dst, oif?) looks a route up on a libuv
// pool thread; netlinkTableAsync(name) reads a table on a pool thread
// (Napi::AsyncWorker) and resolves with a handle; netlinkTableTake
// builds the rows from it in slices, so a 10,000-entry FDB never holds the
// event loop for long (docs/performance.md). The worker owns everything it
// touches: the table name is copied in, the messages are its own.
#include <memory>

#include "errors.h"
#include "netlink.h"
#include "netlink_query.h"
#include "netlink_util.h"

namespace vxprobe {
namespace {

class TableWorker : public Napi::AsyncWorker {
 public:
  TableWorker(Napi::Env env, const TableSpec& spec)
      : Napi::AsyncWorker(env, "vxprobe:netlinkTable"), spec_(spec), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      dump_ = std::make_unique<TableDump>(DumpTable(spec_));
    } catch (const NetlinkError& e) {
      err_ = e.err;
      syscall_ = e.syscall;
      SetError(syscall_);
    } catch (const std::exception& e) {
      err_ = EIO;
      syscall_ = "netlink";
      SetError(e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    auto handle = Napi::External<TableDump>::New(env, dump_.release(),
                                                 [](Napi::Env, TableDump* d) { delete d; });
    deferred_.Resolve(handle);
  }

  void OnError(const Napi::Error&) override {
    std::string context = std::string("netlink ") + spec_.name;
    deferred_.Reject(SystemError(Env(), err_, syscall_, context).Value());
  }

 private:
  const TableSpec& spec_;
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<TableDump> dump_;
  int err_ = 0;
  std::string syscall_;
};

// netlinkTableAsync(name): Promise<handle>.
Napi::Value TableAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "table must be a string");
  const TableSpec* spec = FindTable(info[0].As<Napi::String>().Utf8Value());
  if (!spec) {
    throw Napi::RangeError::New(env, "table must be links, addrs, routes, neighbors or fdb");
  }
  auto* worker = new TableWorker(env, *spec);  // libuv owns it; deleted after OnOK/OnError
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// netlinkTableTake(handle, max): {rows, left}.
Napi::Value TableTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) {
    throw Napi::TypeError::New(env, "handle must come from netlinkTableAsync");
  }
  TableDump* d = info[0].As<Napi::External<TableDump>>().Data();
  int64_t max = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
  if (!d || !d->spec || max < 1) throw Napi::RangeError::New(env, "max must be a positive integer");
  Napi::Array rows = Napi::Array::New(env);
  size_t left = BuildRows(env, *d, static_cast<size_t>(max), rows);
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", rows);
  out.Set("left", Napi::Number::New(env, static_cast<double>(left)));
  return out;
}

// routeGetAsync(dst, oif?): the route lookup on a pool thread; the parsed
// address is the worker's own copy.
class RouteWorker : public Napi::AsyncWorker {
 public:
  RouteWorker(Napi::Env env, RouteArgs args)
      : Napi::AsyncWorker(env, "vxprobe:routeGet"), args_(args), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      reply_ = RouteLookup(args_.dst, args_.oif);
    } catch (const NetlinkError& e) {
      err_ = e.err;
      syscall_ = e.syscall;
      SetError(syscall_);
    }
  }
  void OnOK() override { deferred_.Resolve(RouteObject(Env(), reply_)); }
  void OnError(const Napi::Error&) override {
    std::string context = "route to " + IpString(args_.dst.bytes, args_.dst.len);
    deferred_.Reject(SystemError(Env(), err_, syscall_, context).Value());
  }

 private:
  RouteArgs args_;
  Napi::Promise::Deferred deferred_;
  RouteReply reply_;
  int err_ = 0;
  std::string syscall_;
};

Napi::Value RouteGetAsync(const Napi::CallbackInfo& info) {
  auto* worker = new RouteWorker(info.Env(), ReadRouteArgs(info));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitNetlinkAsync(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTableAsync", Napi::Function::New(env, TableAsync, "netlinkTableAsync"));
  exports.Set("netlinkTableTake", Napi::Function::New(env, TableTake, "netlinkTableTake"));
  exports.Set("routeGetAsync", Napi::Function::New(env, RouteGetAsync, "routeGetAsync"));
}

}  // namespace vxprobe
