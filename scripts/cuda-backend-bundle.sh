#!/bin/bash
# Builds the CUDA-backend device bundle into DIR (default: the main checkout's .device/cb, which the
# device tool carries; name ".device/cb" and ".device/cuda/jre.tgz" in carry): shaded jar, test
# classes, JUnit's console launcher and the run script. The jlink'd JRE comes from
# cuda-device-bundle.sh (.device/cuda/jre.tgz).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/work/main/.device/cb}
JUNIT_JAR=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.11.4/junit-platform-console-standalone-1.11.4.jar
"$ROOT/scripts/cuda-kernels-check.sh" >/dev/null 2>&1 || { echo "nvcc kernel check failed: run scripts/cuda-kernels-check.sh"; exit 1; }
(cd "$ROOT" && mvn -q -o package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true && mvn -q -o test-compile)
mkdir -p "$DIR"
cp "$(ls -t "$ROOT"/target/diffusion4j-*-cli.jar | head -n 1)" "$DIR/diffusion4j.jar"   # the runnable -cli jar, under the name the run scripts use
rm -rf "$DIR/test-classes" && cp -r "$ROOT/target/test-classes" "$DIR/test-classes"
cp "$JUNIT_JAR" "$DIR/junit.jar"
cp "$ROOT/scripts/cuda-backend-device-run.sh" "$DIR/run.sh"
du -sh "$DIR"
