#!/usr/bin/env bash
# Run on the CPU machine, in the repository root: builds the project and stages what the GPU
# machine needs to run the native tests into .gpu-run/ (add it to .git/info/exclude and to the
# device tool's carry list together with .jcuda-bundle).
#   .gpu-run/classes/   engine, engine-cuda (with kernels.fatbin), nn, native-tests test classes
#   .gpu-run/lib/       runtime + test dependencies (JCuda, AssertJ, ...) without JUnit
#   .gpu-run/junit/     junit-platform-console-standalone matching the project's JUnit version
# usage: bash engine-cuda/gpu-stage.sh
set -euo pipefail
out=.gpu-run
junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
rm -rf "$out" && mkdir -p "$out/classes" "$out/lib" "$out/junit"
mvn -B -q -o test-compile -pl native-tests -am
for m in engine engine-cuda nn; do cp -r "$m/target/classes/." "$out/classes/"; done
cp -r native-tests/target/test-classes/. "$out/classes/"
mvn -B -q -o dependency:copy-dependencies -pl native-tests -am -DincludeScope=test \
  -DexcludeGroupIds=org.junit,org.junit.jupiter,org.junit.platform,dev.engram -DoutputDirectory="$PWD/$out/lib"
m2=${M2_REPO:-$HOME/.m2/repository}
console="$m2/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar"
[ -f "$console" ] || mvn -B -q dependency:get -Dtransitive=false -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit"
cp "$console" "$out/junit/"
cp engine-cuda/gpu-run.sh "$out/"
du -sh "$out"
