# Sourced by the vs-onnxruntime scripts, from the repository root: builds rooftop, installs
# Node.js/npm (apt-get) and onnxruntime-node into build/bench/onnxruntime (npm, --ignore-scripts),
# exports the zoo. Sets ORT_DIR.
ORT_VERSION=1.30.0
tools/setup.sh
cmake --build build -j"$(nproc)" --target bench_worker >/dev/null
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
ORT_DIR=build/bench/onnxruntime
if [ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ] ||
   ! grep -q "\"version\": \"$ORT_VERSION\"" "$ORT_DIR/node_modules/onnxruntime-node/package.json"; then
  mkdir -p "$ORT_DIR"
  [ -f "$ORT_DIR/package.json" ] || echo '{"name":"rooftop-bench-ort","private":true}' > "$ORT_DIR/package.json"
  (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ORT_VERSION" >/dev/null)
fi
/usr/bin/python3 tools/export_zoo.py --out build/zoo
