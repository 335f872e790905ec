// TensorProto files as numpy_helper writes them (dims, data_type, name, raw_data; float32,
// float16 (its 16 bits in a Uint16Array, as onnxruntime-node takes them) or int64, little-endian): read for the ONNX Runtime side of the benchmark and the test
// references, written for ONNX Runtime's outputs. Nothing else of TensorProto is handled.
import fs from 'node:fs';

export const TYPES = { 1: ['float32', Float32Array], 7: ['int64', BigInt64Array], 10: ['float16', Uint16Array] };

function varint(buf, pos) {
  let v = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, pos];
    shift += 7n;
  }
}

export function readTensor(file) {
  const buf = fs.readFileSync(file);
  const t = { dims: [], type: 0, name: '', raw: null };
  for (let pos = 0; pos < buf.length;) {
    let key, v, len;
    [key, pos] = varint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      [v, pos] = varint(buf, pos);
      if (field === 1) t.dims.push(Number(v));
      else if (field === 2) t.type = Number(v);
    } else if (wire === 2) {
      [len, pos] = varint(buf, pos);
      const body = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 1) for (let p = 0; p < body.length;) { [v, p] = varint(body, p); t.dims.push(Number(v)); }
      else if (field === 8) t.name = body.toString('utf8');
      else if (field === 9) t.raw = body;
    } else {
      throw new Error(`${file}: unexpected wire type ${wire}`);
    }
  }
  if (!TYPES[t.type] || !t.raw) throw new Error(`${file}: only raw float32/float16/int64 tensors (type ${t.type})`);
  const [kind, Ctor] = TYPES[t.type];
  const copy = Buffer.from(t.raw); // aligned
  return { name: t.name, kind, dims: t.dims, data: new Ctor(copy.buffer, copy.byteOffset, copy.length / Ctor.BYTES_PER_ELEMENT) };
}

function key(field, wire) { return encodeVarint(BigInt((field << 3) | wire)); }
function encodeVarint(v) {
  const out = [];
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return Buffer.from(out);
}

export function writeTensor(file, name, tensor) {
  const type = Object.keys(TYPES).find(k => TYPES[k][0] === tensor.type);
  if (!type) throw new Error(`output type ${tensor.type} not handled`);
  const parts = [];
  for (const d of tensor.dims) parts.push(key(1, 0), encodeVarint(BigInt(d)));
  parts.push(key(2, 0), encodeVarint(BigInt(type)));
  const nameBuf = Buffer.from(name, 'utf8');
  parts.push(key(8, 2), encodeVarint(BigInt(nameBuf.length)), nameBuf);
  const raw = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  parts.push(key(9, 2), encodeVarint(BigInt(raw.length)), raw);
  fs.writeFileSync(file, Buffer.concat(parts));
}

