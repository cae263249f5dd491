// Off the JS thread: routeGetAsync(dst, oif?) looks a route up on a libuv
// pool thread, neighborGetAsync/neighborResolveAsync(ip, ifindex) read or
// solicit one neighbor entry there; netlinkTableAsync(name) reads a table on a pool thread
// (PromiseWorker, promise_worker.h) and resolves with a handle;
// netlinkTableTake builds the rows from it in slices, so a 10,000-entry FDB
// never holds the event loop for long (docs/performance.md). The worker owns
// everything it touches: the table name is copied in, the messages are its
// own. No exception leaves a worker (docs/native-hardening.md).
#include <memory>

#include "boundary.h"
#include "errors.h"
#include "netlink.h"
#include "netlink_query.h"
#include "netlink_util.h"
#include "promise_worker.h"

namespace vxprobe {
namespace {

// Marks the handles netlinkTableAsync makes, so netlinkTableTake never takes
// another addon's External (or a forged one) for a TableDump.
constexpr napi_type_tag kTableDumpTag = {0x7678'7072'6f62'6531ULL, 0x7461'626c'6564'756dULL};

class TableWorker : public PromiseWorker {
 public:
  TableWorker(Napi::Env env, const TableSpec& spec)
      : PromiseWorker(env, "netlinkTableAsync"), spec_(spec) {}

 private:
  void Work() override {
    try {
      dump_ = std::make_unique<TableDump>(DumpTable(spec_));
    } catch (const NetlinkError& e) {
      err_ = e.err;
      syscall_ = e.syscall;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    if (!dump_) throw SystemError(env, err_, syscall_, std::string("netlink ") + spec_.name);
    auto handle = Napi::External<TableDump>::New(env, dump_.get(),
                                                 [](Napi::Env, TableDump* d) { delete d; });
    dump_.release();  // the External owns it now
    if (napi_type_tag_object(env, handle, &kTableDumpTag) != napi_ok) {
      throw Napi::Error::New(env);
    }
    return handle;
  }

  const TableSpec& spec_;  // one of FindTable's static entries
  std::unique_ptr<TableDump> dump_;
  int err_ = EIO;
  std::string syscall_ = "netlink";
};

// netlinkTableAsync(name): Promise<handle>.
Napi::Value TableAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "table must be a string");
  const TableSpec* spec = FindTable(info[0].As<Napi::String>().Utf8Value());
  if (!spec) {
    throw Napi::RangeError::New(env, "table must be links, addrs, routes, neighbors or fdb");
  }
  auto* worker = new TableWorker(env, *spec);  // libuv owns it; deleted after OnOK
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// netlinkTableTake(handle, max): {rows, left}.
Napi::Value TableTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  if (info[0].IsExternal() &&
      napi_check_object_type_tag(env, info[0], &kTableDumpTag, &tagged) != napi_ok) {
    throw Napi::Error::New(env);
  }
  if (!tagged) throw Napi::TypeError::New(env, "handle must come from netlinkTableAsync");
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
class RouteWorker : public PromiseWorker {
 public:
  RouteWorker(Napi::Env env, RouteArgs args) : PromiseWorker(env, "routeGetAsync"), args_(args) {}

 private:
  void Work() override {
    try {
      reply_ = RouteLookup(args_.dst, args_.oif);
      found_ = true;
    } catch (const NetlinkError& e) {
      err_ = e.err;
      syscall_ = e.syscall;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    if (!found_) {
      std::string context = "route to " + IpString(args_.dst.bytes, args_.dst.len);
      throw SystemError(env, err_, syscall_, context);
    }
    return RouteObject(env, reply_);
  }

  RouteArgs args_;
  RouteReply reply_;
  bool found_ = false;
  int err_ = EIO;
  std::string syscall_ = "RTM_GETROUTE";
};

Napi::Value RouteGetAsync(const Napi::CallbackInfo& info) {
  auto* worker = new RouteWorker(info.Env(), ReadRouteArgs(info));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// neighborGetAsync(ip, ifindex) and neighborResolveAsync(ip, ifindex): one
// small request each, but pairing polls the entry every few ms while ARP
// runs, so they stay off the JS thread too (docs/performance.md).
class NeighborWorker : public PromiseWorker {
 public:
  enum class Op { kGet, kResolve };
  NeighborWorker(Napi::Env env, Op op, NeighArgs args)
      : PromiseWorker(env, op == Op::kGet ? "neighborGetAsync" : "neighborResolveAsync"),
        op_(op),
        args_(args) {}

 private:
  void Work() override {
    try {
      if (op_ == Op::kGet) {
        reply_ = NeighborLookup(args_);
      } else {
        NeighborSolicit(args_);
      }
      ok_ = true;
    } catch (const NetlinkError& e) {
      err_ = e.err;
      syscall_ = e.syscall;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    if (!ok_) throw SystemError(env, err_, syscall_, op_ == Op::kGet ? "" : SolicitContext(args_));
    return op_ == Op::kGet ? NeighborValue(env, reply_) : env.Undefined();
  }

  Op op_;
  NeighArgs args_;
  NeighReply reply_;
  bool ok_ = false;
  int err_ = EIO;
  std::string syscall_ = "netlink";
};

template <NeighborWorker::Op kOp>
Napi::Value NeighborAsync(const Napi::CallbackInfo& info) {
  auto* worker = new NeighborWorker(info.Env(), kOp, ReadNeighArgs(info));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitNetlinkAsync(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTableAsync",
              Napi::Function::New(env, Guarded<TableAsync>, "netlinkTableAsync"));
  exports.Set("netlinkTableTake", Napi::Function::New(env, Guarded<TableTake>, "netlinkTableTake"));
  exports.Set("routeGetAsync", Napi::Function::New(env, Guarded<RouteGetAsync>, "routeGetAsync"));
  exports.Set("neighborGetAsync",
              Napi::Function::New(env, Guarded<NeighborAsync<NeighborWorker::Op::kGet>>,
                                  "neighborGetAsync"));
  exports.Set("neighborResolveAsync",
              Napi::Function::New(env, Guarded<NeighborAsync<NeighborWorker::Op::kResolve>>,
                                  "neighborResolveAsync"));
}

}  // namespace vxprobe
