/*
 * cupti_trace.c: a CUPTI injection library for `workbench profile --ep cuda --gpu-time cupti`.
 *
 * Loaded by the CUDA driver at cuInit when the process runs with
 *   CUDA_INJECTION64_PATH=/abs/path/libcupti_trace.so  WB_CUPTI_OUT=/abs/path/out.jsonl
 * (the driver calls the exported InitializeInjection). It records, without serializing anything:
 *   - every kernel (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: GPU start/end, correlationId, stream, grid, block),
 *   - every memcpy and memset (kind, bytes, GPU start/end, correlationId, stream),
 *   - the runtime and driver API calls that launch, copy, set or synchronize (host start/end, correlationId,
 *     thread), so that each GPU record can be traced back to the host moment it was launched,
 * and a pair of clock readings (CUPTI timestamp and CLOCK_MONOTONIC, taken back to back; the tightest of 16
 * samples) at start and at exit, so that CUPTI time maps onto the monotonic clock of the host.
 *
 * Output: JSON lines (see src/profiler/cupti/capture.ts, parseCuptiCapture). Times are integer nanoseconds relative
 * to `base` (a CUPTI timestamp written as a decimal string in the header), so every number stays below 2^53.
 * Kernel and API names are interned: a {"t":"name"} line precedes the first use of each id. Lines:
 *   {"t":"hdr","format":"wb-cupti","version":1,"pid":N,"cuptiApi":N,"cudaVersion":N,"base":"U64","demangle":0|1}
 *   {"t":"clock","at":"init"|"exit","cupti":"U64","mono":"U64","real":"U64","gap":NS}
 *   {"t":"name","id":N,"s":"demangled or mangled name"}
 *   {"t":"k","n":ID,"s":NS,"e":NS,"c":CORR,"st":STREAM,"dev":N,"g":[x,y,z],"b":[x,y,z]}
 *   {"t":"cp","k":COPYKIND,"src":N,"dst":N,"by":BYTES,"s":NS,"e":NS,"c":CORR,"st":STREAM}
 *   {"t":"ms","by":BYTES,"s":NS,"e":NS,"c":CORR,"st":STREAM}
 *   {"t":"api","d":"rt"|"drv","cb":CBID,"n":ID,"s":NS,"e":NS,"c":CORR,"tid":N}
 *   {"t":"error","what":"...","msg":"..."}
 *   {"t":"end","kernels":N,"memcpys":N,"memsets":N,"apis":N,"apisSkipped":N,"dropped":N,"bad":N}
 *
 * Any CUPTI error prints one line to stderr, is written as an "error" line, and turns tracing off; the host
 * process carries on. C only: no C++ runtime (kernel names are demangled through __cxa_demangle when the
 * process already has it, else left mangled).
 */
#define _GNU_SOURCE
#include <cupti.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(CUDA_VERSION) && CUDA_VERSION >= 13000
typedef CUpti_ActivityKernel10 wb_kernel_t;
typedef CUpti_ActivityMemcpy6 wb_memcpy_t;
#elif defined(CUDA_VERSION) && CUDA_VERSION >= 12000
typedef CUpti_ActivityKernel9 wb_kernel_t;
typedef CUpti_ActivityMemcpy5 wb_memcpy_t;
#else
#error "cupti_trace.c needs the CUPTI of CUDA 12 or newer"
#endif
typedef CUpti_ActivityMemset4 wb_memset_t;

#define WB_FORMAT_VERSION 1
#define WB_BUF_SIZE ((size_t)8 << 20)
#define WB_ALIGN 8
#define WB_NAMES 16384 /* interned names (open addressing; power of two) */
#define WB_CBIDS 4096  /* API callback ids cached per domain */

typedef char *(*wb_demangle_fn)(const char *, char *, size_t *, int *);

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *g_out;
static int g_enabled;
static int g_finished;
static uint64_t g_base;
static wb_demangle_fn g_demangle;
static unsigned long long g_kernels, g_memcpys, g_memsets, g_apis, g_apis_skipped, g_dropped, g_bad;

static struct {
  char *key;
  int id;
} g_names[WB_NAMES];
static int g_next_name;

/* Per domain (0 runtime, 1 driver) and callback id: interned name id, and whether the call is kept. */
static int g_cb_name[2][WB_CBIDS];
static signed char g_cb_keep[2][WB_CBIDS];

static uint64_t wb_now(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wb_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      fputc('\\', f);
      fputc(*p, f);
    } else if (*p < 0x20) {
      fprintf(f, "\\u%04x", *p);
    } else {
      fputc(*p, f);
    }
  }
  fputc('"', f);
}

static const char *wb_result(CUptiResult r) {
  const char *s = NULL;
  if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || !s) return "unknown CUPTI error";
  return s;
}

/* Reports a failure once on stderr and in the file, and turns tracing off. Caller holds no lock. */
static void wb_fail(const char *what, CUptiResult r) {
  const char *msg = wb_result(r);
  fprintf(stderr, "cupti_trace: %s failed (%s); GPU tracing disabled\n", what, msg);
  g_enabled = 0;
  pthread_mutex_lock(&g_lock);
  if (g_out) {
    fputs("{\"t\":\"error\",\"what\":", g_out);
    wb_json_string(g_out, what);
    fputs(",\"msg\":", g_out);
    wb_json_string(g_out, msg);
    fputs("}\n", g_out);
    fflush(g_out);
  }
  pthread_mutex_unlock(&g_lock);
}

static uint32_t wb_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

/* Interned id of `s`; writes its "name" line the first time (demangled when `demangle`). Lock held. */
static int wb_intern(const char *s, int demangle) {
  if (!s) s = "?";
  uint32_t h = wb_hash(s) & (WB_NAMES - 1);
  for (int probe = 0; probe < WB_NAMES; probe++, h = (h + 1) & (WB_NAMES - 1)) {
    if (g_names[h].key == NULL) {
      if (g_next_name >= WB_NAMES - 1) break; /* table full: write without interning */
      char *k = strdup(s);
      if (!k) break;
      g_names[h].key = k;
      g_names[h].id = g_next_name++;
      const char *shown = s;
      char *d = NULL;
      if (demangle && g_demangle && s[0] == '_' && s[1] == 'Z') {
        int st = -1;
        d = g_demangle(s, NULL, NULL, &st);
        if (st == 0 && d) shown = d;
      }
      fprintf(g_out, "{\"t\":\"name\",\"id\":%d,\"s\":", g_names[h].id);
      wb_json_string(g_out, shown);
      fputs("}\n", g_out);
      free(d);
      return g_names[h].id;
    }
    if (strcmp(g_names[h].key, s) == 0) return g_names[h].id;
  }
  return -1;
}

static long long wb_rel(uint64_t t) { return (long long)(t - g_base); }

/* Runtime/driver calls worth keeping: those that put work on the GPU or wait for it. */
static int wb_keep_api(const char *name) {
  return name && (strstr(name, "Launch") || strstr(name, "Memcpy") || strstr(name, "Memset") || strstr(name, "Synchronize"));
}

static void wb_write_api(const CUpti_ActivityAPI *a, int domain) {
  int cached = a->cbid < WB_CBIDS;
  int keep = cached ? g_cb_keep[domain][a->cbid] : -1;
  int id = cached ? g_cb_name[domain][a->cbid] : -1;
  if (keep < 0) {
    const char *name = NULL;
    CUpti_CallbackDomain dom = domain == 0 ? CUPTI_CB_DOMAIN_RUNTIME_API : CUPTI_CB_DOMAIN_DRIVER_API;
    if (cuptiGetCallbackName(dom, a->cbid, &name) != CUPTI_SUCCESS) name = NULL;
    keep = wb_keep_api(name) ? 1 : 0;
    id = keep ? wb_intern(name, 0) : -1;
    if (cached) {
      g_cb_keep[domain][a->cbid] = (signed char)keep;
      g_cb_name[domain][a->cbid] = id;
    }
  }
  if (!keep) {
    g_apis_skipped++;
    return;
  }
  if (!a->start || a->end < a->start) {
    g_bad++;
    return;
  }
  g_apis++;
  fprintf(g_out, "{\"t\":\"api\",\"d\":\"%s\",\"cb\":%u,\"n\":%d,\"s\":%lld,\"e\":%lld,\"c\":%u,\"tid\":%u}\n", domain == 0 ? "rt" : "drv",
          (unsigned)a->cbid, id, wb_rel(a->start), wb_rel(a->end), a->correlationId, a->threadId);
}

/* Lock held. */
static void wb_write_record(const CUpti_Activity *rec) {
  switch (rec->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
      const wb_kernel_t *k = (const wb_kernel_t *)rec;
      if (!k->start || k->end < k->start) {
        g_bad++;
        return;
      }
      int id = wb_intern(k->name ? k->name : "?", 1);
      g_kernels++;
      fprintf(g_out, "{\"t\":\"k\",\"n\":%d,\"s\":%lld,\"e\":%lld,\"c\":%u,\"st\":%u,\"dev\":%u,\"g\":[%d,%d,%d],\"b\":[%d,%d,%d]}\n", id, wb_rel(k->start),
              wb_rel(k->end), k->correlationId, k->streamId, k->deviceId, k->gridX, k->gridY, k->gridZ, k->blockX, k->blockY, k->blockZ);
      return;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: {
      const wb_memcpy_t *m = (const wb_memcpy_t *)rec;
      if (!m->start || m->end < m->start) {
        g_bad++;
        return;
      }
      g_memcpys++;
      fprintf(g_out, "{\"t\":\"cp\",\"k\":%u,\"src\":%u,\"dst\":%u,\"by\":%llu,\"s\":%lld,\"e\":%lld,\"c\":%u,\"st\":%u}\n", (unsigned)m->copyKind,
              (unsigned)m->srcKind, (unsigned)m->dstKind, (unsigned long long)m->bytes, wb_rel(m->start), wb_rel(m->end), m->correlationId, m->streamId);
      return;
    }
    case CUPTI_ACTIVITY_KIND_MEMSET: {
      const wb_memset_t *m = (const wb_memset_t *)rec;
      if (!m->start || m->end < m->start) {
        g_bad++;
        return;
      }
      g_memsets++;
      fprintf(g_out, "{\"t\":\"ms\",\"by\":%llu,\"s\":%lld,\"e\":%lld,\"c\":%u,\"st\":%u}\n", (unsigned long long)m->bytes, wb_rel(m->start), wb_rel(m->end),
              m->correlationId, m->streamId);
      return;
    }
    case CUPTI_ACTIVITY_KIND_RUNTIME:
      wb_write_api((const CUpti_ActivityAPI *)rec, 0);
      return;
    case CUPTI_ACTIVITY_KIND_DRIVER:
      wb_write_api((const CUpti_ActivityAPI *)rec, 1);
      return;
    default:
      return;
  }
}

/* One clock pair: the tightest of 16 (CLOCK_MONOTONIC, cuptiGetTimestamp, CLOCK_MONOTONIC) samples. Lock held. */
static void wb_clock_pair(const char *at) {
  uint64_t best_gap = UINT64_MAX, best_c = 0, best_m = 0, best_r = 0;
  for (int i = 0; i < 16; i++) {
    uint64_t m1 = wb_now(CLOCK_MONOTONIC);
    uint64_t c = 0;
    if (cuptiGetTimestamp(&c) != CUPTI_SUCCESS) return;
    uint64_t r = wb_now(CLOCK_REALTIME);
    uint64_t m2 = wb_now(CLOCK_MONOTONIC);
    if (m2 - m1 < best_gap) {
      best_gap = m2 - m1;
      best_c = c;
      best_m = m1 + (m2 - m1) / 2;
      best_r = r;
    }
  }
  fprintf(g_out, "{\"t\":\"clock\",\"at\":\"%s\",\"cupti\":\"%llu\",\"mono\":\"%llu\",\"real\":\"%llu\",\"gap\":%llu}\n", at, (unsigned long long)best_c,
          (unsigned long long)best_m, (unsigned long long)best_r, (unsigned long long)best_gap);
}

static void CUPTIAPI wb_buffer_requested(uint8_t **buffer, size_t *size, size_t *maxNumRecords) {
  void *b = NULL;
  if (posix_memalign(&b, WB_ALIGN, WB_BUF_SIZE) != 0) b = NULL;
  *buffer = (uint8_t *)b;
  *size = b ? WB_BUF_SIZE : 0;
  *maxNumRecords = 0;
}

static void CUPTIAPI wb_buffer_completed(CUcontext ctx, uint32_t streamId, uint8_t *buffer, size_t size, size_t validSize) {
  (void)size;
  pthread_mutex_lock(&g_lock);
  if (g_out && buffer && validSize > 0) {
    CUpti_Activity *rec = NULL;
    for (;;) {
      CUptiResult r = cuptiActivityGetNextRecord(buffer, validSize, &rec);
      if (r != CUPTI_SUCCESS) break; /* CUPTI_ERROR_MAX_LIMIT_REACHED: end of the buffer */
      wb_write_record(rec);
    }
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(ctx, streamId, &dropped) == CUPTI_SUCCESS) g_dropped += dropped;
  }
  pthread_mutex_unlock(&g_lock);
  free(buffer);
}

static void wb_at_exit(void) {
  if (g_finished) return;
  g_finished = 1;
  if (g_enabled) {
    CUptiResult r = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    if (r != CUPTI_SUCCESS) fprintf(stderr, "cupti_trace: cuptiActivityFlushAll failed (%s); the trace may be incomplete\n", wb_result(r));
  }
  pthread_mutex_lock(&g_lock);
  if (g_out) {
    wb_clock_pair("exit");
    fprintf(g_out, "{\"t\":\"end\",\"kernels\":%llu,\"memcpys\":%llu,\"memsets\":%llu,\"apis\":%llu,\"apisSkipped\":%llu,\"dropped\":%llu,\"bad\":%llu}\n",
            g_kernels, g_memcpys, g_memsets, g_apis, g_apis_skipped, g_dropped, g_bad);
    fclose(g_out);
    g_out = NULL;
  }
  pthread_mutex_unlock(&g_lock);
}

static int wb_enable(CUpti_ActivityKind kind, const char *what) {
  CUptiResult r = cuptiActivityEnable(kind);
  if (r != CUPTI_SUCCESS) {
    wb_fail(what, r);
    return 0;
  }
  return 1;
}

__attribute__((visibility("default"))) int InitializeInjection(void) {
  static int called;
  if (called) return 1;
  called = 1;
  const char *path = getenv("WB_CUPTI_OUT");
  if (!path || !*path) {
    fprintf(stderr, "cupti_trace: WB_CUPTI_OUT is not set; GPU tracing disabled\n");
    return 1;
  }
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "cupti_trace: cannot write %s; GPU tracing disabled\n", path);
    return 1;
  }
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  g_demangle = (wb_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
  for (int d = 0; d < 2; d++)
    for (int i = 0; i < WB_CBIDS; i++) {
      g_cb_keep[d][i] = -1;
      g_cb_name[d][i] = -1;
    }
  uint64_t base = 0;
  CUptiResult r = cuptiGetTimestamp(&base);
  pthread_mutex_lock(&g_lock);
  g_out = f;
  g_base = base;
  fprintf(f, "{\"t\":\"hdr\",\"format\":\"wb-cupti\",\"version\":%d,\"pid\":%d,\"cuptiApi\":%d,\"cudaVersion\":%d,\"base\":\"%llu\",\"demangle\":%d}\n",
          WB_FORMAT_VERSION, (int)getpid(), (int)CUPTI_API_VERSION, (int)CUDA_VERSION, (unsigned long long)base, g_demangle ? 1 : 0);
  if (r == CUPTI_SUCCESS) wb_clock_pair("init");
  pthread_mutex_unlock(&g_lock);
  atexit(wb_at_exit);
  if (r != CUPTI_SUCCESS) {
    wb_fail("cuptiGetTimestamp", r);
    return 1;
  }
  r = cuptiActivityRegisterCallbacks(wb_buffer_requested, wb_buffer_completed);
  if (r != CUPTI_SUCCESS) {
    wb_fail("cuptiActivityRegisterCallbacks", r);
    return 1;
  }
  g_enabled = 1;
  const char *drv = getenv("WB_CUPTI_DRIVER");
  int ok = wb_enable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, "cuptiActivityEnable(CONCURRENT_KERNEL)") &&
           wb_enable(CUPTI_ACTIVITY_KIND_MEMCPY, "cuptiActivityEnable(MEMCPY)") && wb_enable(CUPTI_ACTIVITY_KIND_MEMSET, "cuptiActivityEnable(MEMSET)") &&
           wb_enable(CUPTI_ACTIVITY_KIND_RUNTIME, "cuptiActivityEnable(RUNTIME)") &&
           (drv && strcmp(drv, "0") == 0 ? 1 : wb_enable(CUPTI_ACTIVITY_KIND_DRIVER, "cuptiActivityEnable(DRIVER)"));
  if (!ok) {
    /* Whatever was enabled stays harmless; stop collecting. */
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_MEMCPY);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_MEMSET);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_RUNTIME);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_DRIVER);
  }
  return 1;
}
