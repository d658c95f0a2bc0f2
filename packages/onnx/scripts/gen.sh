#!/bin/sh
# Regenerate src/gen/onnx_pb.ts from the official ONNX schema.
#
# The schema is onnx.proto (proto2, package `onnx`) as shipped by Debian's python3-onnx
# (/usr/lib/python3/dist-packages/onnx/onnx.proto; ONNX 1.13, IR version 8). The code generator is
# protoc (Debian protobuf-compiler) with the protoc-gen-es plugin of @bufbuild/protoc-gen-es,
# emitting TypeScript for the @bufbuild/protobuf 2.x runtime. The output is committed, so building
# and testing need neither protoc nor python3-onnx.
#
# Override the schema location with ONNX_PROTO_DIR=/path/to/dir/with/onnx.proto.
set -eu
cd "$(dirname "$0")/.."
PROTO_DIR="${ONNX_PROTO_DIR:-/usr/lib/python3/dist-packages/onnx}"
PLUGIN="$(cd ../.. && pwd)/node_modules/.bin/protoc-gen-es"
protoc --plugin=protoc-gen-es="$PLUGIN" --es_out=src/gen --es_opt=target=ts,import_extension=none \
  -I "$PROTO_DIR" "$PROTO_DIR/onnx.proto"
echo "wrote src/gen/onnx_pb.ts from $PROTO_DIR/onnx.proto"
