# Sourced (not run) by the scripts/gpu-*.sh that run on the lent GPU machine from the repository root: the bundle in
# .device/gpu (scripts/gpu-bundle.sh), its JRE unpacked once, and the variables they share. Set XMX (heap, default 16g)
# and JAVA_OPTS (extra JVM flags) before sourcing.
#   B    the bundle folder          OUT  where results go ($OUT, default /tmp/out)
#   J    java with the flags the engine needs           CP  the jar and the test classes
#   need_diffusers   puts the diffusers source (.device/diffusers/src, unpacked from .device/dsrc/diffusers-src.txz when
#                    only that is carried) on PYTHONPATH and checks that it imports; exits 1 otherwise
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx${XMX:-16g} ${JAVA_OPTS:-}"
CP=$B/diffusion4j.jar:$B/tc
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
nvidia-smi -L

need_diffusers() {
  if [ ! -d .device/diffusers/src/diffusers ] && [ -f .device/dsrc/diffusers-src.txz ]; then
    mkdir -p .device/diffusers && tar xJf .device/dsrc/diffusers-src.txz -C .device/diffusers
  fi
  [ -d .device/diffusers/src/diffusers ] || { echo "no diffusers source: carry .device/diffusers/src/diffusers or .device/dsrc/diffusers-src.txz" >&2; exit 1; }
  export PYTHONPATH=$PWD/.device/diffusers/src${PYTHONPATH:+:$PYTHONPATH}
  python3 -c "import diffusers, torch; print('diffusers', diffusers.__version__, 'torch', torch.__version__)" || exit 1
}
