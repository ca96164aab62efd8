// ort_node: a Node-API addon over ONNX Runtime's C API (API version 29), for the workbench's native backend.
//
// It links nothing of ONNX Runtime at build time: init(path) dlopens the libonnxruntime.so.1 that
// onnxruntime-node ships (so one ORT release is in the process) and takes OrtGetApiBase with dlsym. CUDA device
// copies go through the libcudart that the CUDA EP provider already loaded (dlopen by soname at first use), so
// the addon needs neither the CUDA toolkit to build nor cudart at link time.
//
// JS surface (see src/runtime/native/addon.ts for the typed view):
//   init(libPath) -> version string
//   new Session(modelPathOrBytes, options)  .inputInfo() .outputInfo() .providerOptions() .device
//     .allocate(type, dims) -> DeviceTensor on the EP's device (session allocator, CreateAllocator)
//     .run(feeds, outputs, runOptions) -> Promise<{ outputs, ms, downloads? }>  (IoBinding, off the JS thread)
//     .prepare(feeds, outputs) -> PreparedRun (DeviceTensors bound once)  .run(runOptions)  .release()
//     .endProfiling() -> trace file, .release()
//   runOptions: { gpuGraphId, config, tag, inline, download: [bound output names copied to the host by the run] }
//   session options: { ep, runThread: 'session' | 'pool' (default: session on cuda, pool on cpu), ... }
//   DeviceTensor  .type .dims .location  .upload(typedArray)  .download() -> typedArray  .release()
#include <dlfcn.h>
#include <napi.h>
#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <string>
#include <vector>

namespace {

// ---------- library state ----------
struct Lib {
  void* handle = nullptr;
  const OrtApi* api = nullptr;
  Ort::Env* env = nullptr;  // leaked on purpose: ORT's env must outlive every session, also at process exit
  std::string version;
  std::string path;
} g;

// CUDA stream capture gate. ORT records a CUDA graph (enable_cuda_graph) in the CUDA's global capture mode:
// while one thread captures, a synchronous copy, a legacy-stream sync or an allocation on ANY other thread of
// the process fails with CUDA error 900 ("operation not permitted when stream is capturing") and breaks the
// capture. Renderer workers are threads of one process, and --overlap runs TTS and Ditto at once, so a run
// that may capture holds the gate alone and every other CUDA use (runs, copies, allocations, session
// creation) shares it. ORT keeps CUDA graphs per thread (the CUDA EP's PerThreadContext) and captures on the
// third run of a graph id on a thread (two regular runs first). A CUDA session runs every call on its own thread
// (RunThread), but a 'pool' session's runs go to whichever libuv pool thread is free: so the first kCaptureRuns
// runs of each graph id ON EACH THREAD of a graph-enabled session count as "may capture".
std::shared_mutex captureGate;
constexpr int kCaptureRuns = 3;

// cudart, found in the process (the CUDA EP provider loads it) on the first device copy.
struct CudaRt {
  bool tried = false;
  void* h = nullptr;
  int (*memcpy_)(void*, const void*, size_t, int) = nullptr;
  int (*streamSync)(void*) = nullptr;
  int (*setDevice)(int) = nullptr;
  int (*mallocHost)(void**, size_t) = nullptr;
  int (*freeHost)(void*) = nullptr;
  const char* (*errStr)(int) = nullptr;
  int (*priorityRange)(int*, int*) = nullptr;
  int (*streamCreateWithPriority)(void**, unsigned int, int) = nullptr;
  int (*streamDestroy)(void*) = nullptr;
} cuda;
std::mutex cudaMu;

void loadCudaRt() {
  std::lock_guard<std::mutex> lock(cudaMu);
  if (cuda.tried) return;
  cuda.tried = true;
  for (const char* name : {"libcudart.so.13", "libcudart.so.12", "libcudart.so"}) {
    void* h = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h) h = dlopen(name, RTLD_LAZY);
    if (!h) continue;
    cuda.h = h;
    cuda.memcpy_ = reinterpret_cast<int (*)(void*, const void*, size_t, int)>(dlsym(h, "cudaMemcpy"));
    cuda.streamSync = reinterpret_cast<int (*)(void*)>(dlsym(h, "cudaStreamSynchronize"));
    cuda.setDevice = reinterpret_cast<int (*)(int)>(dlsym(h, "cudaSetDevice"));
    cuda.mallocHost = reinterpret_cast<int (*)(void**, size_t)>(dlsym(h, "cudaMallocHost"));
    cuda.freeHost = reinterpret_cast<int (*)(void*)>(dlsym(h, "cudaFreeHost"));
    cuda.errStr = reinterpret_cast<const char* (*)(int)>(dlsym(h, "cudaGetErrorString"));
    cuda.priorityRange = reinterpret_cast<int (*)(int*, int*)>(dlsym(h, "cudaDeviceGetStreamPriorityRange"));
    cuda.streamCreateWithPriority = reinterpret_cast<int (*)(void**, unsigned int, int)>(dlsym(h, "cudaStreamCreateWithPriority"));
    cuda.streamDestroy = reinterpret_cast<int (*)(void*)>(dlsym(h, "cudaStreamDestroy"));
    return;
  }
}

// A page-locked staging buffer per thread. A copy between device memory and pageable host memory runs at
// ~1 GB/s on the H200 (the driver stages it in small pieces: 6.2 ms for a batch of 8 frames of 512x512 RGB);
// through pinned memory it runs at the link's speed, and the extra host memcpy is cheap. Grown on demand and
// never freed before the thread ends (freeing at process exit could run after the CUDA runtime is gone).
struct Staging {
  void* p = nullptr;
  size_t cap = 0;
};
thread_local Staging staging;

// The thread's staging buffer of at least `bytes`, or nullptr where pinned memory is not available (then the
// copy goes direct). The caller holds the capture gate: cudaMallocHost is an allocation.
void* stagingFor(size_t bytes) {
  if (!cuda.mallocHost || !cuda.freeHost) return nullptr;
  if (staging.cap >= bytes) return staging.p;
  if (staging.p) cuda.freeHost(staging.p);
  staging.p = nullptr;
  staging.cap = 0;
  size_t want = bytes < (size_t(1) << 20) ? (size_t(1) << 20) : bytes;
  void* p = nullptr;
  if (cuda.mallocHost(&p, want) != 0 || !p) return nullptr;
  staging.p = p;
  staging.cap = want;
  return p;
}

// One copy between host and device memory, through the thread's pinned staging buffer. `gated` = take the
// capture gate here; a run's worker that already holds it (alone or shared) passes false.
void cudaCopy(void* dst, const void* src, size_t bytes, int kind /*1 H2D, 2 D2H*/, int device, bool gated = true) {
  loadCudaRt();
  if (!cuda.memcpy_ || !cuda.setDevice || !cuda.streamSync)
    throw std::runtime_error("libcudart (12 or 13) is not loadable in this process; device copies need it");
  std::shared_lock<std::shared_mutex> gate(captureGate, std::defer_lock);
  if (gated) gate.lock();
  int e = cuda.setDevice(device);
  void* stage = e == 0 && bytes ? stagingFor(bytes) : nullptr;
  if (e == 0 && stage && kind == 1) {
    std::memcpy(stage, src, bytes);
    e = cuda.memcpy_(dst, stage, bytes, kind);
  } else if (e == 0 && stage && kind == 2) {
    e = cuda.memcpy_(stage, src, bytes, kind);
    if (e == 0) std::memcpy(dst, stage, bytes);
  } else if (e == 0) {
    e = cuda.memcpy_(dst, src, bytes, kind);
  }
  // A pageable host-to-device copy may return before its DMA ends; ORT's streams are non-blocking, so wait
  // here on the legacy stream the copy ran on.
  if (e == 0) e = cuda.streamSync(nullptr);
  if (e != 0) throw std::runtime_error(std::string("cuda copy failed: ") + (cuda.errStr ? cuda.errStr(e) : std::to_string(e)));
}

// ---------- element types ----------
struct TypeInfo {
  const char* name;
  ONNXTensorElementDataType ort;
  size_t size;
  napi_typedarray_type js;
};
const TypeInfo kTypes[] = {
    {"float32", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, 4, napi_float32_array},
    {"float16", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, 2, napi_uint16_array},
    {"int32", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, 4, napi_int32_array},
    {"int64", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, 8, napi_bigint64_array},
    {"uint8", ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, 1, napi_uint8_array},
    {"int8", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, 1, napi_int8_array},
    {"bool", ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, 1, napi_uint8_array},
    {"float64", ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, 8, napi_float64_array},
};
const TypeInfo* typeByName(const std::string& n) {
  for (const auto& t : kTypes)
    if (n == t.name) return &t;
  return nullptr;
}
const TypeInfo* typeByOrt(ONNXTensorElementDataType o) {
  for (const auto& t : kTypes)
    if (o == t.ort) return &t;
  return nullptr;
}
std::string typeName(ONNXTensorElementDataType o) {
  const TypeInfo* t = typeByOrt(o);
  return t ? t->name : "type" + std::to_string(static_cast<int>(o));
}

void requireInit(Napi::Env env) {
  if (!g.api) throw Napi::Error::New(env, "ort_node: init(libonnxruntime path) was not called");
}

std::vector<int64_t> dimsFrom(const Napi::Value& v) {
  if (!v.IsArray()) throw std::runtime_error("dims must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> d(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value x = a.Get(i);
    if (!x.IsNumber()) throw std::runtime_error("dims must be an array of integers");
    d[i] = x.As<Napi::Number>().Int64Value();
    if (d[i] < 0) throw std::runtime_error("dims must not be negative");
  }
  return d;
}
Napi::Array dimsTo(Napi::Env env, const std::vector<int64_t>& d) {
  Napi::Array a = Napi::Array::New(env, d.size());
  for (size_t i = 0; i < d.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(d[i])));
  return a;
}
Napi::Value makeTypedArray(Napi::Env env, napi_typedarray_type t, size_t n, Napi::ArrayBuffer buf) {
  napi_value v;
  napi_status st = napi_create_typedarray(env, t, n, buf, 0, &v);
  NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  return Napi::Value(env, v);
}
size_t elementCount(const std::vector<int64_t>& d) {
  size_t n = 1;
  for (int64_t x : d) n *= static_cast<size_t>(x);
  return n;
}

// One thread that runs every call of a session (SessionCore::runThread). ORT's CUDA EP keeps its per-thread
// context (cuDNN/cuBLAS handles, workspaces) and its CUDA graphs per thread, so a session whose calls went to
// whichever libuv pool thread was free created handles and captured its graph again on each new thread, in the
// timed pass too: round 6's sweep results kept calls of 63–100 ms in a 3.1 ms GPT step and 68 ms in an 8.7 ms
// HuBERT call, and each capture held the capture gate alone, stalling every other stream's work.
class RunThread {
 public:
  RunThread() : t_([this] { loop(); }) {}
  ~RunThread() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    t_.join();
  }
  // Runs f on this thread; the caller waits for it, and f's exception is rethrown to the caller.
  void run(const std::function<void()>& f) {
    std::packaged_task<void()> task(f);
    std::future<void> done = task.get_future();
    {
      std::lock_guard<std::mutex> l(mu_);
      q_.push_back(std::move(task));
    }
    cv_.notify_one();
    done.get();
  }

 private:
  void loop() {
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        task = std::move(q_.front());
        q_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> q_;
  bool stop_ = false;
  std::thread t_;  // declared last: started once the members it uses exist
};

// ---------- session and tensor cores (shared by JS objects and in-flight runs) ----------
struct SessionCore {
  Ort::Session session{nullptr};
  std::string device;  // "cpu" | "cuda"
  int deviceId = 0;
  Ort::MemoryInfo deviceMem{nullptr};
  Ort::MemoryInfo cpuMem{nullptr};
  std::string providerOptions;
  bool cudaGraph = false;  // enable_cuda_graph=1 on the CUDA EP
  std::mutex allocMu;
  std::mutex graphMu;
  std::map<std::pair<std::thread::id, std::string>, int> graphRuns;  // runs so far per thread and gpu_graph_id

  // Whether this run may be the one ORT captures a CUDA graph in (see captureGate); counts the run.
  bool mayCapture(const std::string& graphId) {
    if (device != "cuda" || !cudaGraph || graphId == "-1") return false;
    std::lock_guard<std::mutex> lock(graphMu);
    return graphRuns[{std::this_thread::get_id(), graphId}]++ < kCaptureRuns;
  }
  // Declared after the session: destroyed before it.
  std::unique_ptr<Ort::Allocator> allocator;
  // Set: every run of this session executes on this one thread (RunThread); unset: on the caller's thread.
  std::unique_ptr<RunThread> runThread;
  // The compute stream the addon made for `stream_priority` (given to the CUDA EP as user_compute_stream).
  void* stream = nullptr;

  ~SessionCore() {
    // The run thread first: at its exit ORT drops the thread's CUDA context of this session.
    runThread.reset();
    // Freeing the session's device memory is a CUDA use too (see captureGate).
    std::shared_lock<std::shared_mutex> gate(captureGate, std::defer_lock);
    if (device == "cuda") gate.lock();
    allocator.reset();
    session = Ort::Session(nullptr);
    if (stream && cuda.streamDestroy) cuda.streamDestroy(stream);
  }

  OrtAllocator* deviceAllocator() {
    std::lock_guard<std::mutex> lock(allocMu);
    if (!allocator) allocator = std::make_unique<Ort::Allocator>(session, deviceMem);
    return *allocator;
  }
};
using SessionPtr = std::shared_ptr<SessionCore>;

struct TensorCore {
  // Declared before the value: destroyed after it, so the session's allocator outlives the memory it frees.
  SessionPtr owner;  // keeps the session (and its allocator) alive while the tensor lives
  Ort::Value value{nullptr};
  bool onDevice = false;
  int deviceId = 0;
  std::string type;
  std::vector<int64_t> dims;
  size_t bytes = 0;
};
using TensorPtr = std::shared_ptr<TensorCore>;

TensorPtr wrapValue(Ort::Value v, SessionPtr owner) {
  auto t = std::make_shared<TensorCore>();
  auto info = v.GetTensorTypeAndShapeInfo();
  t->dims = info.GetShape();
  const TypeInfo* ti = typeByOrt(info.GetElementType());
  if (!ti) throw std::runtime_error("unsupported tensor element type " + typeName(info.GetElementType()));
  t->type = ti->name;
  t->bytes = elementCount(t->dims) * ti->size;
  t->onDevice = owner && owner->device == "cuda" && std::strcmp(v.GetTensorMemoryInfo().GetAllocatorName().c_str(), "Cpu") != 0;
  t->deviceId = owner ? owner->deviceId : 0;
  t->value = std::move(v);
  t->owner = std::move(owner);
  return t;
}

// The classes' constructors live in the env's instance data, not in statics: each worker thread that loads
// the addon has its own env, and a reference made in one env must never be used from another (V8 aborts).
struct Ctors {
  Napi::FunctionReference tensor;
  Napi::FunctionReference prepared;
};
Ctors& ctors(Napi::Env env) {
  Ctors* c = env.GetInstanceData<Ctors>();
  if (!c) {
    c = new Ctors();
    env.SetInstanceData<Ctors>(c);
  }
  return *c;
}

// ---------- DeviceTensor ----------
class DeviceTensor : public Napi::ObjectWrap<DeviceTensor> {
 public:
  static Napi::FunctionReference& ctor(Napi::Env env) { return ctors(env).tensor; }
  static Napi::Function Define(Napi::Env env) {
    Napi::Function f = DefineClass(env, "DeviceTensor",
                                   {InstanceAccessor<&DeviceTensor::Type>("type"), InstanceAccessor<&DeviceTensor::Dims>("dims"),
                                    InstanceAccessor<&DeviceTensor::Location>("location"), InstanceAccessor<&DeviceTensor::Released>("released"),
                                    InstanceMethod<&DeviceTensor::Upload>("upload"), InstanceMethod<&DeviceTensor::Download>("download"),
                                    InstanceMethod<&DeviceTensor::Release>("release")});
    ctor(env) = Napi::Persistent(f);
    return f;
  }
  static Napi::Object Wrap(Napi::Env env, TensorPtr t) {
    Napi::Object o = ctor(env).New({Napi::External<TensorPtr>::New(env, new TensorPtr(std::move(t)), [](Napi::Env, TensorPtr* p) { delete p; })});
    return o;
  }
  static TensorPtr Core(const Napi::Object& o) {
    if (!o.InstanceOf(ctor(o.Env()).Value())) return nullptr;
    DeviceTensor* d = ObjectWrap<DeviceTensor>::Unwrap(o);
    if (!d->t_) throw std::runtime_error("device tensor was released");
    return d->t_;
  }

  explicit DeviceTensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceTensor>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "DeviceTensor is made by Session.allocate or a run");
    // Take the reference out of the External: only this object (and in-flight runs) hold the tensor, so
    // release() frees it now rather than when the External is collected.
    t_ = std::move(*info[0].As<Napi::External<TensorPtr>>().Data());
  }
  // The GC finalizer drops the reference (the safety net); release() drops it now.

 private:
  TensorPtr t_;
  TensorPtr live(Napi::Env env) {
    if (!t_) throw Napi::Error::New(env, "device tensor was released");
    return t_;
  }
  Napi::Value Type(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), live(info.Env())->type); }
  Napi::Value Dims(const Napi::CallbackInfo& info) { return dimsTo(info.Env(), live(info.Env())->dims); }
  Napi::Value Location(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), live(info.Env())->onDevice ? "cuda" : "cpu"); }
  Napi::Value Released(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !t_); }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    t_.reset();
    return info.Env().Undefined();
  }
  Napi::Value Upload(const Napi::CallbackInfo& info) {
    TensorPtr t = live(info.Env());
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "upload(typedArray)");
    Napi::TypedArray a = info[0].As<Napi::TypedArray>();
    if (a.ByteLength() != t->bytes)
      throw Napi::RangeError::New(info.Env(), "upload: " + std::to_string(a.ByteLength()) + " bytes for a tensor of " + std::to_string(t->bytes));
    const uint8_t* src = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    void* dst = t->value.GetTensorMutableRawData();
    try {
      if (t->onDevice) cudaCopy(dst, src, t->bytes, 1, t->deviceId);
      else if (t->bytes) std::memcpy(dst, src, t->bytes);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }
  Napi::Value Download(const Napi::CallbackInfo& info) {
    TensorPtr t = live(info.Env());
    const TypeInfo* ti = typeByName(t->type);
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(info.Env(), t->bytes);
    const void* src = t->value.GetTensorRawData();
    try {
      if (t->onDevice) cudaCopy(buf.Data(), src, t->bytes, 2, t->deviceId);
      else if (t->bytes) std::memcpy(buf.Data(), src, t->bytes);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return makeTypedArray(info.Env(), ti->js, t->bytes / ti->size, buf);
  }
};

// ---------- host tensors {type, dims, data} ----------
struct HostIn {
  Ort::Value value{nullptr};
  Napi::Reference<Napi::Value> keep;  // the JS buffer the value points into
};

HostIn hostTensorIn(const Napi::Object& o, const Ort::MemoryInfo& cpu, const std::string& name) {
  Napi::Value tv = o.Get("type"), dv = o.Get("data");
  if (!tv.IsString() || !dv.IsTypedArray()) throw std::runtime_error("input '" + name + "': expected {type, dims, data} or a DeviceTensor");
  const TypeInfo* ti = typeByName(tv.As<Napi::String>().Utf8Value());
  if (!ti) throw std::runtime_error("input '" + name + "': unsupported type '" + tv.As<Napi::String>().Utf8Value() + "'");
  std::vector<int64_t> dims = dimsFrom(o.Get("dims"));
  Napi::TypedArray a = dv.As<Napi::TypedArray>();
  size_t bytes = elementCount(dims) * ti->size;
  if (a.ByteLength() != bytes)
    throw std::runtime_error("input '" + name + "': data has " + std::to_string(a.ByteLength()) + " bytes, dims need " + std::to_string(bytes));
  void* p = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  HostIn h;
  h.value = Ort::Value::CreateTensor(cpu, p, bytes, dims.data(), dims.size(), ti->ort);
  h.keep = Napi::Persistent(dv);
  return h;
}

Napi::Object hostTensorOut(Napi::Env env, Ort::Value& v) {
  auto info = v.GetTensorTypeAndShapeInfo();
  const TypeInfo* ti = typeByOrt(info.GetElementType());
  if (!ti) throw std::runtime_error("unsupported output element type " + typeName(info.GetElementType()));
  std::vector<int64_t> dims = info.GetShape();
  size_t n = elementCount(dims);
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n * ti->size);
  if (n) std::memcpy(buf.Data(), v.GetTensorRawData(), n * ti->size);
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", ti->name);
  o.Set("dims", dimsTo(env, dims));
  o.Set("data", makeTypedArray(env, ti->js, n, buf));
  return o;
}

// ---------- runs ----------
// A binding made once (Session.prepare) and replayed by every run: device tensors bound by name and kept
// alive here. A call binding 122 tensors (the static-KV GPT's step) spends ~0.3 ms a call on the binding alone.
struct PreparedCore {
  SessionPtr s;  // declared first: destroyed last
  Ort::IoBinding binding{nullptr};
  std::vector<TensorPtr> keep;
  std::vector<std::pair<std::string, TensorPtr>> outs;
  std::mutex mu;  // one run of a binding at a time
};
using PreparedPtr = std::shared_ptr<PreparedCore>;

// Bytes a run copied to the host for JS (BoundRunOptions.download), uninitialised until the copy.
struct HostBytes {
  std::unique_ptr<uint8_t[]> p;
  size_t n = 0;
};

struct OutSpec {
  std::string name;
  enum Kind { Host, Device, Bound } kind = Host;
  TensorPtr bound;
  Napi::ObjectReference boundJs;
};

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, SessionPtr s) : Napi::AsyncWorker(env), s_(std::move(s)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  std::vector<std::string> inNames;
  std::vector<HostIn> hostIns;  // parallel to inNames when host
  std::vector<TensorPtr> devIns;
  std::vector<int> inKind;  // 0 host (index into hostIns), 1 device (index into devIns)
  std::vector<int> inIndex;
  std::vector<OutSpec> outs;
  std::vector<std::pair<std::string, std::string>> runConfig;
  std::string tag;
  PreparedPtr prepared;  // set: run this binding (inNames/outs unused)
  // Outputs bound to device tensors that the run copies to the host on its own thread, right after the run
  // (through the pinned staging buffer): no synchronous copies on the JS thread afterwards.
  std::vector<std::pair<std::string, TensorPtr>> downloads;

 public:
  // Runs the call on this (the JS) thread and settles the promise: no hand-off to the thread pool and back.
  void RunInline() {
    Execute();
    if (failed_) OnError(Napi::Error::New(Env(), error_));
    else OnOK();
  }

 protected:
  void Execute() override {
    if (!s_->runThread) return ExecuteHere();
    try {
      s_->runThread->run([this] { ExecuteHere(); });
    } catch (const std::exception& e) {
      failed_ = true;
      error_ = e.what();
      SetError(e.what());
    }
  }

 private:
  // The run itself, on the thread it must run on (the session's run thread, or the caller's).
  void ExecuteHere() {
    try {
      thread_ = std::hash<std::thread::id>{}(std::this_thread::get_id());
      std::string graphId = "0";
      for (auto& kv : runConfig)
        if (kv.first == "gpu_graph_id") graphId = kv.second;
      std::unique_lock<std::shared_mutex> alone(captureGate, std::defer_lock);
      std::shared_lock<std::shared_mutex> shared(captureGate, std::defer_lock);
      if (s_->mayCapture(graphId)) alone.lock();
      else if (s_->device == "cuda") shared.lock();
      std::unique_lock<std::mutex> one;
      Ort::IoBinding local{nullptr};
      if (prepared) {
        one = std::unique_lock<std::mutex>(prepared->mu);
      } else {
        local = Ort::IoBinding(s_->session);
        for (size_t i = 0; i < inNames.size(); i++) {
          const Ort::Value& v = inKind[i] == 0 ? hostIns[inIndex[i]].value : devIns[inIndex[i]]->value;
          local.BindInput(inNames[i].c_str(), v);
        }
        for (auto& o : outs) {
          if (o.kind == OutSpec::Bound) local.BindOutput(o.name.c_str(), o.bound->value);
          else local.BindOutput(o.name.c_str(), o.kind == OutSpec::Device ? s_->deviceMem : s_->cpuMem);
        }
      }
      Ort::IoBinding& b = prepared ? prepared->binding : local;
      Ort::RunOptions ro;
      if (!tag.empty()) ro.SetRunTag(tag.c_str());
      for (auto& kv : runConfig) ro.AddConfigEntry(kv.first.c_str(), kv.second.c_str());
      auto t0 = std::chrono::steady_clock::now();
      // No IoBinding::SynchronizeInputs/Outputs: on the CUDA EP they are cudaDeviceSynchronize, which waits for
      // every stream of the device (other sessions, other workers: no overlap at all) and fails with CUDA error
      // 900 while any thread captures a graph. Inputs are ready (device copies here are synchronous; a device
      // output of an earlier run was synchronized when that run ended), and ORT ends every Run by synchronizing
      // this session's stream (run option disable_synchronize_execution_providers is left at 0), so the time
      // still covers the GPU work and the outputs are complete when the promise settles.
      s_->session.Run(ro, b);
      ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!prepared) results_ = b.GetOutputValues();
      for (auto& d : downloads) {
        // Not zero-filled (every byte is copied over), and handed to JS as the ArrayBuffer's own memory.
        auto host = std::make_unique<HostBytes>();
        host->n = d.second->bytes;
        host->p.reset(new uint8_t[host->n ? host->n : 1]);
        void* src = d.second->value.GetTensorMutableRawData();
        if (d.second->onDevice) cudaCopy(host->p.get(), src, host->n, 2, d.second->deviceId, false);
        else if (host->n) std::memcpy(host->p.get(), src, host->n);
        downloaded_.push_back(std::move(host));
      }
    } catch (const std::exception& e) {
      failed_ = true;
      error_ = e.what();
      SetError(e.what());
    }
  }

 protected:
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::Object r = Napi::Object::New(env);
      Napi::Object o = Napi::Object::New(env);
      for (size_t i = 0; i < outs.size() && i < results_.size(); i++) {
        OutSpec& spec = outs[i];
        if (spec.kind == OutSpec::Bound) o.Set(spec.name, spec.boundJs.Value());
        else if (spec.kind == OutSpec::Device) o.Set(spec.name, DeviceTensor::Wrap(env, wrapValue(std::move(results_[i]), s_)));
        else o.Set(spec.name, hostTensorOut(env, results_[i]));
      }
      r.Set("outputs", o);
      r.Set("ms", Napi::Number::New(env, ms_));
      // Which OS thread ran the call (a hash of its id, low 48 bits: exact in a JS number), for diagnostics.
      r.Set("thread", Napi::Number::New(env, static_cast<double>(thread_ & 0xffffffffffffULL)));
      if (!downloads.empty()) {
        Napi::Object d = Napi::Object::New(env);
        for (size_t i = 0; i < downloads.size() && i < downloaded_.size(); i++) {
          const TypeInfo* ti = typeByName(downloads[i].second->type);
          HostBytes* host = downloaded_[i].release();
          size_t n = host->n;
          // The ArrayBuffer takes the run thread's buffer as it is (no second copy on the JS thread).
          Napi::ArrayBuffer buf = n ? Napi::ArrayBuffer::New(env, host->p.get(), n, [](Napi::Env, void*, HostBytes* h) { delete h; }, host)
                                    : Napi::ArrayBuffer::New(env, 0);
          if (!n) delete host;
          d.Set(downloads[i].first, makeTypedArray(env, ti->js, n / ti->size, buf));
        }
        r.Set("downloads", d);
      }
      deferred_.Resolve(r);
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  SessionPtr s_;
  Napi::Promise::Deferred deferred_;
  std::vector<Ort::Value> results_;
  std::vector<std::unique_ptr<HostBytes>> downloaded_;
  double ms_ = 0;
  size_t thread_ = 0;
  bool failed_ = false;
  std::string error_;
};

// Reads run options {config, gpuGraphId, tag, inline, download} into the worker; returns whether to run inline.
// `bound` are the run's outputs bound to device tensors, the only ones `download` may name.
bool readRunOptions(const Napi::Value& v, RunWorker& w, const std::vector<std::pair<std::string, TensorPtr>>& bound);

// Queues the worker on the thread pool, or runs it on this thread (inline); returns its promise.
Napi::Promise startRun(RunWorker* w, bool inlineRun) {
  Napi::Promise p = w->Promise();
  if (inlineRun) {
    w->RunInline();
    delete w;
  } else {
    w->Queue();
  }
  return p;
}

// ---------- PreparedRun ----------
class PreparedRun : public Napi::ObjectWrap<PreparedRun> {
 public:
  static Napi::FunctionReference& ctor(Napi::Env env) { return ctors(env).prepared; }
  static Napi::Function Define(Napi::Env env) {
    Napi::Function f = DefineClass(env, "PreparedRun", {InstanceMethod<&PreparedRun::Run>("run"), InstanceMethod<&PreparedRun::Release>("release")});
    ctor(env) = Napi::Persistent(f);
    return f;
  }
  static Napi::Object Wrap(Napi::Env env, PreparedPtr p) {
    return ctor(env).New({Napi::External<PreparedPtr>::New(env, new PreparedPtr(std::move(p)), [](Napi::Env, PreparedPtr* q) { delete q; })});
  }
  explicit PreparedRun(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreparedRun>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "PreparedRun is made by Session.prepare");
    p_ = std::move(*info[0].As<Napi::External<PreparedPtr>>().Data());
  }

 private:
  PreparedPtr p_;
  // run(runOptions?) -> Promise<{ outputs: {}, ms, downloads? }>
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!p_) throw Napi::Error::New(env, "prepared run was released");
    auto* w = new RunWorker(env, p_->s);
    w->prepared = p_;
    bool inlineRun = false;
    try {
      inlineRun = info.Length() > 0 && readRunOptions(info[0], *w, p_->outs);
    } catch (const std::exception& e) {
      delete w;
      throw Napi::Error::New(env, e.what());
    }
    return startRun(w, inlineRun);
  }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    p_.reset();
    return info.Env().Undefined();
  }
};

// ---------- Session ----------
GraphOptimizationLevel optLevel(const std::string& s) {
  if (s == "disabled") return ORT_DISABLE_ALL;
  if (s == "basic") return ORT_ENABLE_BASIC;
  if (s == "extended") return ORT_ENABLE_EXTENDED;
  if (s == "all") return ORT_ENABLE_ALL;
  throw std::runtime_error("graphOptimizationLevel: unknown value '" + s + "' (disabled, basic, extended, all)");
}

std::vector<std::pair<std::string, std::string>> stringEntries(const Napi::Object& o, const char* key) {
  std::vector<std::pair<std::string, std::string>> r;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return r;
  if (!v.IsObject()) throw std::runtime_error(std::string(key) + " must be an object of strings");
  Napi::Object m = v.As<Napi::Object>();
  Napi::Array names = m.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string k = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value x = m.Get(k);
    if (!x.IsString()) throw std::runtime_error(std::string(key) + "." + k + " must be a string");
    r.emplace_back(k, x.As<Napi::String>().Utf8Value());
  }
  return r;
}

bool readRunOptions(const Napi::Value& v, RunWorker& w, const std::vector<std::pair<std::string, TensorPtr>>& bound) {
  if (!v.IsObject()) return false;
  Napi::Object ro = v.As<Napi::Object>();
  w.runConfig = stringEntries(ro, "config");
  if (ro.Get("gpuGraphId").IsString() || ro.Get("gpuGraphId").IsNumber()) w.runConfig.emplace_back("gpu_graph_id", ro.Get("gpuGraphId").ToString().Utf8Value());
  if (ro.Get("tag").IsString()) w.tag = ro.Get("tag").As<Napi::String>().Utf8Value();
  Napi::Value d = ro.Get("download");
  if (d.IsArray()) {
    Napi::Array a = d.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      std::string n = a.Get(i).ToString().Utf8Value();
      TensorPtr t;
      for (auto& b : bound)
        if (b.first == n) t = b.second;
      if (!t) throw std::runtime_error("download: output '" + n + "' is not bound to a DeviceTensor in this run");
      w.downloads.emplace_back(n, t);
    }
  } else if (!d.IsUndefined() && !d.IsNull()) {
    throw std::runtime_error("download: expected an array of output names");
  }
  return ro.Get("inline").ToBoolean().Value();
}

// A non-blocking CUDA stream of the device at the priority asked for ('high' = the device's greatest, 'low' = its
// least, which is also a plain stream's), for `stream_priority`. Where blocks of several streams wait for the
// SMs, the scheduler starts the higher-priority stream's first: a latency-critical session (the GPT step) is not
// queued behind a throughput one (the renderer's large kernels).
void* priorityStream(const std::string& priority, int deviceId) {
  loadCudaRt();
  if (!cuda.priorityRange || !cuda.streamCreateWithPriority || !cuda.setDevice)
    throw std::runtime_error("stream_priority: the CUDA runtime (cudaStreamCreateWithPriority) was not found in the process");
  int least = 0, greatest = 0;
  cuda.setDevice(deviceId);
  if (int e = cuda.priorityRange(&least, &greatest)) throw std::runtime_error(std::string("stream_priority: cudaDeviceGetStreamPriorityRange: ") + (cuda.errStr ? cuda.errStr(e) : "error"));
  void* stream = nullptr;
  if (int e = cuda.streamCreateWithPriority(&stream, 0x01 /* cudaStreamNonBlocking */, priority == "high" ? greatest : least))
    throw std::runtime_error(std::string("stream_priority: cudaStreamCreateWithPriority: ") + (cuda.errStr ? cuda.errStr(e) : "error"));
  return stream;
}

// Appends the CUDA EP with every requested option; an option ORT does not take is an error naming it.
// `stream_priority` (high, low, default) is the addon's own: a stream made here becomes the EP's compute stream.
std::string appendCuda(Ort::SessionOptions& so, const std::vector<std::pair<std::string, std::string>>& opts,
                       const std::vector<std::pair<std::string, std::string>>& arena, SessionCore& core, int deviceId) {
  const OrtApi& api = *g.api;
  OrtCUDAProviderOptionsV2* cop = nullptr;
  Ort::ThrowOnError(api.CreateCUDAProviderOptions(&cop));
  std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> guard(cop, api.ReleaseCUDAProviderOptions);
  for (auto& kv : opts) {
    if (kv.first == "stream_priority") {
      if (kv.second != "high" && kv.second != "low" && kv.second != "default")
        throw std::runtime_error("CUDA provider option stream_priority=" + kv.second + ": expected high, low or default");
      if (kv.second != "default") {
        core.stream = priorityStream(kv.second, deviceId);
        Ort::ThrowOnError(api.UpdateCUDAProviderOptionsWithValue(cop, "user_compute_stream", core.stream));
      }
      continue;
    }
    const char* k = kv.first.c_str();
    const char* v = kv.second.c_str();
    OrtStatus* st = api.UpdateCUDAProviderOptions(cop, &k, &v, 1);
    if (st) {
      std::string msg = api.GetErrorMessage(st);
      api.ReleaseStatus(st);
      throw std::runtime_error("CUDA provider option " + kv.first + "=" + kv.second + ": " + msg);
    }
  }
  OrtArenaCfg* cfg = nullptr;
  if (!arena.empty()) {
    std::vector<const char*> ks, vs;
    std::vector<size_t> vals;
    for (auto& kv : arena) {
      size_t pos = 0;
      unsigned long long x = 0;
      try {
        x = std::stoull(kv.second, &pos);
      } catch (...) {
        pos = 0;
      }
      if (pos == 0 || pos != kv.second.size()) throw std::runtime_error("arena option " + kv.first + "=" + kv.second + ": not a non-negative integer");
      vals.push_back(static_cast<size_t>(x));
    }
    for (size_t i = 0; i < arena.size(); i++) ks.push_back(arena[i].first.c_str());
    Ort::ThrowOnError(api.CreateArenaCfgV2(ks.data(), vals.data(), ks.size(), &cfg));
    Ort::ThrowOnError(api.UpdateCUDAProviderOptionsWithValue(cop, "default_memory_arena_cfg", cfg));
  }
  std::string applied;
  {
    Ort::AllocatorWithDefaultOptions al;
    char* s = nullptr;
    Ort::ThrowOnError(api.GetCUDAProviderOptionsAsString(cop, al, &s));
    applied = s;
    al.Free(s);
  }
  Ort::ThrowOnError(api.SessionOptionsAppendExecutionProvider_CUDA_V2(so, cop));
  if (cfg) api.ReleaseArenaCfg(cfg);  // the session options copied what they need
  return applied;
}

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session",
                       {InstanceMethod<&Session::InputInfo>("inputInfo"), InstanceMethod<&Session::OutputInfo>("outputInfo"),
                        InstanceMethod<&Session::ProviderOptions>("providerOptions"), InstanceAccessor<&Session::Device>("device"),
                        InstanceMethod<&Session::Allocate>("allocate"), InstanceMethod<&Session::Run>("run"),
                        InstanceMethod<&Session::Prepare>("prepare"),
                        InstanceMethod<&Session::EndProfiling>("endProfiling"), InstanceMethod<&Session::Release>("release")});
  }

  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    requireInit(env);
    if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "new Session(modelPathOrBytes, options)");
    Napi::Object o = info[1].As<Napi::Object>();
    try {
      auto core = std::make_shared<SessionCore>();
      Ort::SessionOptions so;
      std::string ep = o.Has("ep") ? o.Get("ep").As<Napi::String>().Utf8Value() : "cpu";
      if (ep != "cpu" && ep != "cuda") throw std::runtime_error("ep: unknown execution provider '" + ep + "' (cpu, cuda)");
      if (o.Get("graphOptimizationLevel").IsString()) so.SetGraphOptimizationLevel(optLevel(o.Get("graphOptimizationLevel").As<Napi::String>().Utf8Value()));
      if (o.Get("intraOpThreads").IsNumber()) so.SetIntraOpNumThreads(o.Get("intraOpThreads").As<Napi::Number>().Int32Value());
      if (o.Get("interOpThreads").IsNumber()) so.SetInterOpNumThreads(o.Get("interOpThreads").As<Napi::Number>().Int32Value());
      if (o.Get("logSeverity").IsNumber()) so.SetLogSeverityLevel(o.Get("logSeverity").As<Napi::Number>().Int32Value());
      if (o.Get("logId").IsString()) so.SetLogId(o.Get("logId").As<Napi::String>().Utf8Value().c_str());
      if (o.Get("enableProfiling").ToBoolean().Value()) {
        std::string prefix = o.Get("profileFilePrefix").IsString() ? o.Get("profileFilePrefix").As<Napi::String>().Utf8Value() : "ort-profile";
        so.EnableProfiling(prefix.c_str());
      }
      for (auto& kv : stringEntries(o, "config")) so.AddConfigEntry(kv.first.c_str(), kv.second.c_str());
      auto cudaOpts = stringEntries(o, "providerOptions");
      auto arena = stringEntries(o, "arena");
      int deviceId = 0;
      for (auto& kv : cudaOpts)
        if (kv.first == "device_id") deviceId = std::stoi(kv.second);
      std::shared_lock<std::shared_mutex> gate(captureGate, std::defer_lock);
      if (ep == "cuda") {
        gate.lock();
        core->providerOptions = appendCuda(so, cudaOpts, arena, *core, deviceId);
        for (auto& kv : cudaOpts)
          if (kv.first == "enable_cuda_graph") core->cudaGraph = kv.second == "1";
      } else {
        if (!cudaOpts.empty()) throw std::runtime_error("provider option '" + cudaOpts[0].first + "' is a CUDA EP option; this session is on the CPU EP");
        if (!arena.empty()) throw std::runtime_error("arena option '" + arena[0].first + "' is a CUDA EP option; this session is on the CPU EP");
      }
      if (info[0].IsString()) {
        std::string path = info[0].As<Napi::String>().Utf8Value();
        core->session = Ort::Session(*g.env, path.c_str(), so);
      } else if (info[0].IsTypedArray()) {
        Napi::TypedArray a = info[0].As<Napi::TypedArray>();
        core->session = Ort::Session(*g.env, static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), a.ByteLength(), so);
      } else {
        throw std::runtime_error("model must be a file path or a Uint8Array");
      }
      core->device = ep;
      core->deviceId = deviceId;
      std::string runThread = o.Get("runThread").IsString() ? o.Get("runThread").As<Napi::String>().Utf8Value() : (ep == "cuda" ? "session" : "pool");
      if (runThread != "session" && runThread != "pool") throw std::runtime_error("runThread: unknown value '" + runThread + "' (session, pool)");
      if (runThread == "session") core->runThread = std::make_unique<RunThread>();
      core->cpuMem = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
      core->deviceMem = ep == "cuda" ? Ort::MemoryInfo("Cuda", OrtDeviceAllocator, deviceId, OrtMemTypeDefault)
                                     : Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
      s_ = core;
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  SessionPtr s_;
  SessionPtr live(Napi::Env env) {
    if (!s_) throw Napi::Error::New(env, "session was released");
    return s_;
  }

  Napi::Value ioInfo(Napi::Env env, bool inputs) {
    SessionPtr s = live(env);
    Ort::AllocatorWithDefaultOptions al;
    size_t n = inputs ? s->session.GetInputCount() : s->session.GetOutputCount();
    Napi::Array arr = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; i++) {
      Napi::Object e = Napi::Object::New(env);
      auto name = inputs ? s->session.GetInputNameAllocated(i, al) : s->session.GetOutputNameAllocated(i, al);
      e.Set("name", name.get());
      auto ti = inputs ? s->session.GetInputTypeInfo(i) : s->session.GetOutputTypeInfo(i);
      if (ti.GetONNXType() == ONNX_TYPE_TENSOR) {
        auto tsi = ti.GetTensorTypeAndShapeInfo();
        e.Set("type", typeName(tsi.GetElementType()));
        auto shp = tsi.GetShape();
        std::vector<const char*> sym(shp.size(), nullptr);
        tsi.GetSymbolicDimensions(sym.data(), sym.size());
        Napi::Array sa = Napi::Array::New(env, shp.size());
        for (size_t d = 0; d < shp.size(); d++) {
          if (shp[d] >= 0) sa.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(shp[d])));
          else sa.Set(static_cast<uint32_t>(d), Napi::String::New(env, sym[d] && *sym[d] ? sym[d] : "?"));
        }
        e.Set("shape", sa);
      }
      arr.Set(static_cast<uint32_t>(i), e);
    }
    return arr;
  }
  Napi::Value InputInfo(const Napi::CallbackInfo& info) { return ioInfo(info.Env(), true); }
  Napi::Value OutputInfo(const Napi::CallbackInfo& info) { return ioInfo(info.Env(), false); }
  Napi::Value ProviderOptions(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), live(info.Env())->providerOptions); }
  Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), live(info.Env())->device); }

  Napi::Value Allocate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SessionPtr s = live(env);
    if (info.Length() < 2 || !info[0].IsString()) throw Napi::TypeError::New(env, "allocate(type, dims)");
    try {
      const TypeInfo* ti = typeByName(info[0].As<Napi::String>().Utf8Value());
      if (!ti) throw std::runtime_error("allocate: unsupported type '" + info[0].As<Napi::String>().Utf8Value() + "'");
      std::vector<int64_t> dims = dimsFrom(info[1]);
      std::shared_lock<std::shared_mutex> gate(captureGate, std::defer_lock);
      if (s->device == "cuda") gate.lock();
      Ort::Value v = Ort::Value::CreateTensor(s->deviceAllocator(), dims.data(), dims.size(), ti->ort);
      auto t = std::make_shared<TensorCore>();
      t->type = ti->name;
      t->dims = dims;
      t->bytes = elementCount(dims) * ti->size;
      t->onDevice = s->device == "cuda";
      t->deviceId = s->deviceId;
      t->value = std::move(v);
      t->owner = s;
      if (!t->onDevice && t->bytes) std::memset(t->value.GetTensorMutableRawData(), 0, t->bytes);
      return DeviceTensor::Wrap(env, t);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  // run(feeds: {name: HostTensor | DeviceTensor}, outputs: {name: 'host' | 'device' | DeviceTensor}, runOptions)
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SessionPtr s = live(env);
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "run(feeds, outputs, runOptions?)");
    auto* w = new RunWorker(env, s);
    bool inlineRun = false;
    try {
      Napi::Object feeds = info[0].As<Napi::Object>();
      Napi::Array names = feeds.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); i++) {
        std::string n = names.Get(i).As<Napi::String>().Utf8Value();
        Napi::Value v = feeds.Get(n);
        if (!v.IsObject()) throw std::runtime_error("input '" + n + "': expected a tensor");
        w->inNames.push_back(n);
        TensorPtr d = DeviceTensor::Core(v.As<Napi::Object>());
        if (d) {
          w->inKind.push_back(1);
          w->inIndex.push_back(static_cast<int>(w->devIns.size()));
          w->devIns.push_back(d);
        } else {
          w->inKind.push_back(0);
          w->inIndex.push_back(static_cast<int>(w->hostIns.size()));
          w->hostIns.push_back(hostTensorIn(v.As<Napi::Object>(), s->cpuMem, n));
        }
      }
      Napi::Object outs = info[1].As<Napi::Object>();
      Napi::Array onames = outs.GetPropertyNames();
      for (uint32_t i = 0; i < onames.Length(); i++) {
        OutSpec o;
        o.name = onames.Get(i).As<Napi::String>().Utf8Value();
        Napi::Value v = outs.Get(o.name);
        if (v.IsString()) {
          std::string k = v.As<Napi::String>().Utf8Value();
          if (k == "host") o.kind = OutSpec::Host;
          else if (k == "device") o.kind = OutSpec::Device;
          else throw std::runtime_error("output '" + o.name + "': '" + k + "' (expected 'host', 'device' or a DeviceTensor)");
        } else if (v.IsObject() && (o.bound = DeviceTensor::Core(v.As<Napi::Object>()))) {
          o.kind = OutSpec::Bound;
          o.boundJs = Napi::Persistent(v.As<Napi::Object>());
        } else {
          throw std::runtime_error("output '" + o.name + "': expected 'host', 'device' or a DeviceTensor");
        }
        w->outs.push_back(std::move(o));
      }
      std::vector<std::pair<std::string, TensorPtr>> bound;
      for (auto& o : w->outs)
        if (o.kind == OutSpec::Bound) bound.emplace_back(o.name, o.bound);
      inlineRun = info.Length() > 2 && readRunOptions(info[2], *w, bound);
    } catch (const std::exception& e) {
      delete w;
      throw Napi::Error::New(env, e.what());
    }
    return startRun(w, inlineRun);
  }

  // prepare(feeds: {name: DeviceTensor}, outputs: {name: DeviceTensor}) -> PreparedRun
  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SessionPtr s = live(env);
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "prepare(feeds, outputs)");
    try {
      auto p = std::make_shared<PreparedCore>();
      p->s = s;
      p->binding = Ort::IoBinding(s->session);
      for (int side = 0; side < 2; side++) {
        Napi::Object m = info[side].As<Napi::Object>();
        Napi::Array names = m.GetPropertyNames();
        for (uint32_t i = 0; i < names.Length(); i++) {
          std::string n = names.Get(i).As<Napi::String>().Utf8Value();
          Napi::Value v = m.Get(n);
          TensorPtr t = v.IsObject() ? DeviceTensor::Core(v.As<Napi::Object>()) : nullptr;
          if (!t) throw std::runtime_error(std::string(side == 0 ? "input '" : "output '") + n + "': a prepared run binds DeviceTensors only");
          if (side == 0) p->binding.BindInput(n.c_str(), t->value);
          else {
            p->binding.BindOutput(n.c_str(), t->value);
            p->outs.emplace_back(n, t);
          }
          p->keep.push_back(t);
        }
      }
      return PreparedRun::Wrap(env, p);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  Napi::Value EndProfiling(const Napi::CallbackInfo& info) {
    SessionPtr s = live(info.Env());
    Ort::AllocatorWithDefaultOptions al;
    try {
      auto f = s->session.EndProfilingAllocated(al);
      return Napi::String::New(info.Env(), f.get());
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }
  // Drops this handle's reference; the ORT session ends when in-flight runs and tensors allocated from it end.
  Napi::Value Release(const Napi::CallbackInfo& info) {
    s_.reset();
    return info.Env().Undefined();
  }
};

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "init(path to libonnxruntime.so.1)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (g.api) {
    if (path != g.path) throw Napi::Error::New(env, "ort_node: already initialised with " + g.path);
    return Napi::String::New(env, g.version);
  }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw Napi::Error::New(env, std::string("cannot load ") + path + ": " + dlerror());
  using GetBase = const OrtApiBase* (*)();
  auto getBase = reinterpret_cast<GetBase>(dlsym(h, "OrtGetApiBase"));
  if (!getBase) throw Napi::Error::New(env, path + " has no OrtGetApiBase");
  const OrtApiBase* base = getBase();
  const OrtApi* api = base->GetApi(ORT_API_VERSION);
  if (!api)
    throw Napi::Error::New(env, path + " (ONNX Runtime " + base->GetVersionString() + ") does not offer C API version " + std::to_string(ORT_API_VERSION));
  Ort::InitApi(api);
  g.handle = h;
  g.api = api;
  g.path = path;
  g.version = base->GetVersionString();
  int level = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : ORT_LOGGING_LEVEL_ERROR;
  try {
    g.env = new Ort::Env(static_cast<OrtLoggingLevel>(level), "workbench-native");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return Napi::String::New(env, g.version);
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("Session", Session::Define(env));
  exports.Set("DeviceTensor", DeviceTensor::Define(env));
  exports.Set("PreparedRun", PreparedRun::Define(env));
  exports.Set("apiVersion", Napi::Number::New(env, ORT_API_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(ort_node, Module)
