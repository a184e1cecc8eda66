# Sourced by gpu-run.sh and gpu-profile.sh (from their own folder) with $run the staged folder (.gpu-run): unpacks the
# staged Java runtime once, points Engram at the machine's cuBLAS / cuDNN (PyTorch's nvidia wheels are found too)
# and sets `vector`, the options that add the Vector API module when the runtime has it (Engram falls back to
# scalar code without it).
# ENGRAM_JRE_DIR: where the runtime is unpacked (default: $TMPDIR/engram-jre, or /tmp/engram-jre).
tmp=${TMPDIR:-/tmp}
if [ -f "$run/jre.tar.xz" ]; then
  jre=${ENGRAM_JRE_DIR:-$tmp/engram-jre}
  [ -x "$jre/jre/bin/java" ] || { mkdir -p "$jre" && tar -xJf "$run/jre.tar.xz" -C "$jre"; }
  export JAVA_HOME="$jre/jre" PATH="$jre/jre/bin:$PATH"
fi
roots=$(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null || true)
libdirs=""
for r in $roots; do for d in "$r"/cu13/lib "$r"/cudnn/lib "$r"/cublas/lib; do [ -d "$d" ] && libdirs="$libdirs:$d"; done; done
export ENGRAM_CUDA_LIB_PATH=${ENGRAM_CUDA_LIB_PATH:-${libdirs#:}}
export LD_LIBRARY_PATH=$ENGRAM_CUDA_LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
vector=()
java --list-modules 2>/dev/null | grep -q '^jdk\.incubator\.vector@' && vector=(--add-modules jdk.incubator.vector)
cp="$run/classes:$(ls "$run"/lib/*.jar 2>/dev/null | tr '\n' ':')"
