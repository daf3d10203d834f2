"""Minimal GGUF v3 writer and ggml quantisers for the LLM test models.

Written for inferd's tests (no gguf-py dependency: Debian ships none). Tensors
are numpy arrays in PyTorch layout [out, in]; GGUF stores the row length
first, so shape [in, out] is written. Quantisers follow the published block
formats (Q8_0, Q4_0: 32 values per block with an f16 scale) and return both the
packed bytes and the exactly dequantised values, so the reference forward pass
sees the same weights the engine reads.
"""

import struct

import numpy as np

GGUF_MAGIC = 0x46554747
ALIGN = 32

TYPE_F32, TYPE_F16, TYPE_Q4_0, TYPE_Q8_0, TYPE_BF16 = 0, 1, 2, 8, 30
TYPE_NAMES = {"f32": TYPE_F32, "f16": TYPE_F16, "bf16": TYPE_BF16,
              "q8_0": TYPE_Q8_0, "q4_0": TYPE_Q4_0}

V_UINT32, V_INT32, V_FLOAT32, V_BOOL, V_STRING, V_ARRAY = 4, 5, 6, 7, 8, 9


def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def f32_to_bf16_bits(x):
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def bf16_bits_to_f32(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def quantize(x, type_id):
    """Returns (bytes, dequantised float32 array of x's shape)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if type_id == TYPE_F32:
        return x.tobytes(), x.copy()
    if type_id == TYPE_F16:
        h = x.astype(np.float16)
        return h.tobytes(), h.astype(np.float32)
    if type_id == TYPE_BF16:
        b = f32_to_bf16_bits(x)
        return b.tobytes(), bf16_bits_to_f32(b).reshape(x.shape)
    blocks = x.reshape(-1, 32)
    if type_id == TYPE_Q8_0:
        amax = np.abs(blocks).max(axis=1)
        d = (amax / 127.0).astype(np.float32)
        inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0).astype(np.float32)
        q = np.round(blocks * inv[:, None]).astype(np.int8)
        d16 = d.astype(np.float16)
        rec = np.zeros(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", 32)])
        rec["d"] = d16
        rec["qs"] = q
        deq = q.astype(np.float32) * d16.astype(np.float32)[:, None]
        return rec.tobytes(), deq.reshape(x.shape)
    if type_id == TYPE_Q4_0:
        idx = np.abs(blocks).argmax(axis=1)
        mx = blocks[np.arange(len(blocks)), idx]
        d = (mx / -8.0).astype(np.float32)
        inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0).astype(np.float32)
        q = np.minimum(15, np.trunc(blocks * inv[:, None] + 8.5)).astype(np.uint8)
        d16 = d.astype(np.float16)
        rec = np.zeros(len(blocks), dtype=[("d", "<f2"), ("qs", "u1", 16)])
        rec["d"] = d16
        rec["qs"] = q[:, :16] | (q[:, 16:] << 4)
        deq = (q.astype(np.float32) - 8.0) * d16.astype(np.float32)[:, None]
        return rec.tobytes(), deq.reshape(x.shape)
    raise ValueError(f"unsupported type {type_id}")


class GgufWriter:
    def __init__(self):
        self.kv = []
        self.tensors = []  # (name, type, ggml_shape, bytes)

    def add_u32(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_UINT32) + struct.pack("<I", v))

    def add_f32(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_FLOAT32) + struct.pack("<f", v))

    def add_bool(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_BOOL) + struct.pack("<B", 1 if v else 0))

    def add_str(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_STRING) + _str(v))

    def add_str_array(self, k, vs):
        body = b"".join(_str(v) for v in vs)
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_STRING, len(vs)) + body)

    def add_f32_array(self, k, vs):
        body = np.asarray(vs, dtype=np.float32).tobytes()
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_FLOAT32, len(vs)) + body)

    def add_i32_array(self, k, vs):
        body = np.asarray(vs, dtype=np.int32).tobytes()
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_INT32, len(vs)) + body)

    def add_tensor(self, name, type_id, ggml_shape, data):
        self.tensors.append((name, type_id, list(ggml_shape), data))

    def write(self, path):
        head = struct.pack("<IIQQ", GGUF_MAGIC, 3, len(self.tensors), len(self.kv))
        head += b"".join(self.kv)
        offset = 0
        offsets = []
        for name, t, shape, data in self.tensors:
            offsets.append(offset)
            offset += (len(data) + ALIGN - 1) // ALIGN * ALIGN
        for (name, t, shape, data), off in zip(self.tensors, offsets):
            head += _str(name) + struct.pack("<I", len(shape))
            head += b"".join(struct.pack("<Q", d) for d in shape)
            head += struct.pack("<IQ", t, off)
        head += b"\0" * ((-len(head)) % ALIGN)
        with open(path, "wb") as f:
            f.write(head)
            for _, _, _, data in self.tensors:
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGN))
