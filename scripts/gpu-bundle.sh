#!/bin/bash
# Builds .device/gpu, the folder the device tool carries (git-ignored; name ".device/gpu" in carry) for
# scripts/gpu-run.sh on the lent GPU machine, which has no Java: a jlink'd Temurin 25 runtime (jre.txz, ~22 MB),
# the shaded jar, the test classes with JUnit's console launcher (GPU tests), Fashion-MNIST's IDX files, the
# PyTorch references ../shared/bench/ddpm_unet.py and dit.py, bench/dit_parity.py (scripts/gpu-dit.sh) and the python files
# of scripts/gpu-quality.sh. About 60 MB, under the tool's 64 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/.device/gpu
JDK=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
FMNIST=${FMNIST:-/usr/share/datasets/fashion-mnist}
JUNIT_JAR=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.11.4/junit-platform-console-standalone-1.11.4.jar
(cd "$ROOT" && mvn -q -o package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true && mvn -q -o test-compile)
mkdir -p "$B/bench" "$B/fmnist"
if [ ! -f "$B/jre.txz" ]; then
  TMP=$(mktemp -d)
  "$JDK/bin/jlink" --add-modules java.base,java.logging,java.desktop,jdk.unsupported,jdk.incubator.vector,java.xml,java.sql,java.management,jdk.httpserver \
    --strip-debug --no-header-files --no-man-pages --output "$TMP/jre3"
  tar cJf "$B/jre.txz" -C "$TMP" jre3
  rm -rf "$TMP"
fi
cp "$(ls -t "$ROOT"/target/diffusion4j-*-cli.jar | head -n 1)" "$B/diffusion4j.jar"   # the runnable -cli jar, under the name the run scripts use
rm -rf "$B/tc" && cp -r "$ROOT/target/test-classes" "$B/tc"
cp "$JUNIT_JAR" "$B/junit.jar"
cp "$FMNIST"/*-ubyte.gz "$B/fmnist/"
cp "$ROOT/../shared/bench/ddpm_unet.py" "$ROOT/../shared/bench/dit.py" "$ROOT/bench/dit_parity.py" "$ROOT/bench/dit_profile.py" "$ROOT/bench/unet_profile.py" "$B/bench/"
# scripts/gpu-quality.sh: the PyTorch side of the quality table and of the FID Inception parity
mkdir -p "$B/scripts"
cp "$ROOT/bench/ddpm_fmnist_train.py" "$ROOT/bench/fid_inception_parity.py" "$B/bench/"
cp "$ROOT/scripts/safetensors_io.py" "$B/scripts/"
du -sh "$B"
