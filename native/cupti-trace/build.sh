#!/usr/bin/env bash
# Builds libcupti_trace.so (the CUPTI injection library of `workbench profile --gpu-time cupti`) next to this
# script. Looks for cupti.h and libcupti.so* under /usr/local/cuda*/ (extras/CUPTI, targets/<arch>/, include
# and lib64), $CUDA_HOME / $CUPTI_HOME, and the pip packages nvidia-cuda-cupti (nvidia.cuda_cupti, nvidia/cu13);
# prints what it used; fails clearly when there is no CUPTI. Compiler: gcc, else cc, else nvcc.
#   bash native/cupti-trace/build.sh            # → native/cupti-trace/libcupti_trace.so
#   export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/cupti_trace.c"
out="${1:-$here/libcupti_trace.so}"
arch="$(uname -m)-linux"

roots=()
for r in "${CUPTI_HOME:-}" "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda /usr/local/cuda-*; do
  [ -n "$r" ] && [ -d "$r" ] && roots+=("$r")
done
py_dirs=()
for py in python3 python; do
  command -v "$py" >/dev/null 2>&1 || continue
  d="$("$py" -c 'import nvidia.cuda_cupti, os; print(os.path.dirname(nvidia.cuda_cupti.__file__))' 2>/dev/null || true)"
  [ -n "$d" ] && py_dirs+=("$d")
  d="$("$py" -c 'import nvidia, os; p=list(nvidia.__path__); print("\n".join(os.path.join(x, s) for x in p for s in ("cu13", "cu12", "cuda_cupti")))' 2>/dev/null || true)"
  while IFS= read -r x; do [ -n "$x" ] && [ -d "$x" ] && py_dirs+=("$x"); done <<<"$d"
  break
done

inc=""
lib=""
for r in "${roots[@]}" "${py_dirs[@]}"; do
  for i in "$r/extras/CUPTI/include" "$r/targets/$arch/include" "$r/include"; do
    if [ -z "$inc" ] && [ -f "$i/cupti.h" ]; then inc="$i"; fi
  done
  for l in "$r/extras/CUPTI/lib64" "$r/targets/$arch/lib" "$r/lib64" "$r/lib"; do
    if [ -z "$lib" ] && ls "$l"/libcupti.so* >/dev/null 2>&1; then lib="$l"; fi
  done
  [ -n "$inc" ] && [ -n "$lib" ] && break
done
if [ -z "$inc" ] || [ -z "$lib" ]; then
  echo "build.sh: no CUPTI found (cupti.h: ${inc:-missing}; libcupti.so*: ${lib:-missing})." >&2
  echo "  searched: ${roots[*]:-(no /usr/local/cuda*)} ${py_dirs[*]:-(no nvidia.cuda_cupti pip package)}" >&2
  echo "  set CUPTI_HOME to a folder with include/cupti.h and lib64/libcupti.so, or install nvidia-cuda-cupti" >&2
  exit 1
fi
# cuda.h (included by cupti.h) may sit in the toolkit's include rather than next to cupti.h.
extra_inc=()
if [ ! -f "$inc/cuda.h" ]; then
  for r in "${roots[@]}"; do
    for i in "$r/include" "$r/targets/$arch/include"; do
      if [ -f "$i/cuda.h" ]; then extra_inc=(-I "$i"); break 2; fi
    done
  done
fi
# Link the unversioned name when it exists; pip wheels carry only libcupti.so.<major>.
libfile="$(ls "$lib"/libcupti.so 2>/dev/null || ls "$lib"/libcupti.so.* | sort -V | head -1)"
cc=""
for c in "${CC:-}" gcc cc nvcc; do
  [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { cc="$c"; break; }
done
[ -n "$cc" ] || { echo "build.sh: no C compiler (gcc, cc or nvcc)" >&2; exit 1; }
echo "build.sh: cupti.h from $inc"
echo "build.sh: libcupti from $libfile"
echo "build.sh: compiler $cc"
if [ "$cc" = nvcc ]; then
  # -x c applies to every input file: name the library through -L/-l, never as an input.
  nvcc -O2 -shared -Xcompiler -fPIC,-fvisibility=hidden -x c -I "$inc" "${extra_inc[@]}" "$src" -o "$out" -L "$lib" -l:"$(basename "$libfile")" -Xlinker -rpath,"$lib" -ldl -lpthread
else
  "$cc" -O2 -std=c11 -Wall -Wextra -shared -fPIC -fvisibility=hidden -I "$inc" "${extra_inc[@]}" "$src" -o "$out" -L "$lib" -l:"$(basename "$libfile")" -Wl,-rpath,"$lib" -ldl -lpthread
fi
if ! nm -D --defined-only "$out" 2>/dev/null | grep -q ' InitializeInjection$'; then
  command -v nm >/dev/null 2>&1 && { echo "build.sh: $out does not export InitializeInjection" >&2; exit 1; }
fi
echo "build.sh: built $out"
echo "export WB_CUPTI_LIB=$out"
