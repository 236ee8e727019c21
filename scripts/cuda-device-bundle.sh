#!/bin/bash
# Builds what a GPU machine without Java needs to run CudaProbe and the CUDA tests, into DIR
# (default: this checkout's .device/cuda, git-ignored; the device tool carries the session's main
# checkout, so from a worktree pass that checkout's .device/cuda and name .device in carry):
# a jlink'd JDK 25 runtime, the shaded jar, the test classes and JUnit's console launcher.
# Then, on the device: bash .device/cuda/cuda-device-run.sh  (logs under $OUT).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/.device/cuda}
JDK=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
JUNIT=org.junit.platform:junit-platform-console-standalone:1.11.4
JUNIT_JAR=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.11.4/junit-platform-console-standalone-1.11.4.jar
(cd "$ROOT" && mvn -q -o package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true && mvn -q -o test-compile)
[ -f "$JUNIT_JAR" ] || mvn -q dependency:get -Dartifact=$JUNIT
mkdir -p "$DIR"
if [ ! -f "$DIR/jre.tgz" ]; then
  tmp=$(mktemp -d)
  # jdk.zipfs: JUnit scans jars through the zip file system.
  "$JDK/bin/jlink" --add-modules java.base,java.logging,jdk.httpserver,java.desktop,java.management,jdk.unsupported,jdk.incubator.vector,java.xml,java.sql,jdk.zipfs \
    --strip-debug --no-header-files --no-man-pages --output "$tmp/jre"
  tar czf "$DIR/jre.tgz" -C "$tmp" jre
  rm -rf "$tmp"
fi
cp "$(ls -t "$ROOT"/target/diffusion4j-*-cli.jar | head -n 1)" "$DIR/diffusion4j.jar"   # the runnable -cli jar, under the name the run scripts use
rm -rf "$DIR/test-classes" && cp -r "$ROOT/target/test-classes" "$DIR/test-classes"
cp "$JUNIT_JAR" "$DIR/junit.jar"
cp "$ROOT/scripts/cuda-device-run.sh" "$DIR/"
du -sh "$DIR"
