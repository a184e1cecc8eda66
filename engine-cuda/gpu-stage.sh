#!/usr/bin/env bash
# Run on the CPU machine, in the repository root: builds the project and stages everything the
# GPU machine (no Java, no network) needs into .gpu-run/ (git-ignored; carry it to the device):
#   .gpu-run/jre.tar.xz  a Java 17 runtime made with jlink from this machine's JDK
#   .gpu-run/classes/    engine, engine-cuda (kernels.fatbin, libcublas.so.12 shim), nn, benchmarks, native-tests test classes
#   .gpu-run/lib/        runtime + test dependencies (JCuda natives, AssertJ, ...) without JUnit
#   .gpu-run/junit/      junit-platform-console-standalone matching the project's JUnit version
#   .gpu-run/gpu-run.sh  the single-shot device script, and resnet9_torch.py, its PyTorch peer
# usage: bash engine-cuda/gpu-stage.sh      (prints the size; the carry limit is 64 MiB)
set -euo pipefail
out=.gpu-run
junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
rm -rf "$out" && mkdir -p "$out/classes" "$out/lib" "$out/junit"
mvn -B -q -o test-compile -pl native-tests,benchmarks -am
for m in engine engine-cuda nn benchmarks; do cp -r "$m/target/classes/." "$out/classes/"; done
cp -r native-tests/target/test-classes/. "$out/classes/"
mvn -B -q -o dependency:copy-dependencies -pl native-tests -am -DincludeScope=test \
  -DexcludeGroupIds=org.junit,org.junit.jupiter,org.junit.platform,dev.engram -DoutputDirectory="$PWD/$out/lib"
m2=${M2_REPO:-$HOME/.m2/repository}
console="$m2/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar"
[ -f "$console" ] || mvn -B -q dependency:get -Dtransitive=false -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit"
cp "$console" "$out/junit/"
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$jdk/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.incubator.vector,jdk.zipfs,jdk.management --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output "$tmp/jre"
tar -C "$tmp" -cJf "$out/jre.tar.xz" jre
cp engine-cuda/gpu-run.sh engine-cuda/gpu-profile.sh engine-cuda/gpu-env.sh benchmarks/gpu/resnet9_torch.py "$out/"
du -sh "$out"
